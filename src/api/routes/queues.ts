/**
 * Queues: stats, settings (concurrency, paused) and purge.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { DEFAULT_QUEUE, WireError } from "../../protocol/index.js";
import { directoryStub, queueStub } from "../../broker/stubs.js";
import { asObject, readJson } from "../body.js";
import type { ApiEnv } from "../types.js";

const QUEUE_NAME = /^[A-Za-z0-9._:-]{1,128}$/;

const settingsSchema = z.strictObject({
  concurrency: z.number().int("must be an integer").min(1, "must be at least 1").max(100_000).optional(),
  paused: z.boolean().optional(),
});

function queueName(name: string): string {
  if (!QUEUE_NAME.test(name)) throw new WireError("invalid_request", `'${name}' is not a queue name (letters, digits and . _ : - only)`, "name");
  return name;
}

/** Registers the queue routes. */
export function queueRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/queues", async (c) => {
    const known = await directoryStub(c.env).listQueues();
    const names = [...new Set([DEFAULT_QUEUE, ...c.get("app").routedQueues(), ...known])].sort();
    const queues = await Promise.all(names.map((n) => queueStub(c.env, n).stats(n)));
    return c.json({ queues });
  });

  api.get("/v1/queues/:name", async (c) => {
    const name = queueName(c.req.param("name"));
    return c.json(await queueStub(c.env, name).stats(name));
  });

  api.put("/v1/queues/:name", async (c) => {
    const name = queueName(c.req.param("name"));
    const parsed = settingsSchema.safeParse(asObject(await readJson(c.req.raw), "invalid_request"));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.map(String).join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(",") : "");
      throw new WireError("invalid_request", `${path || "settings"}: ${issue.message}`, path || undefined);
    }
    return c.json(await queueStub(c.env, name).configure(name, parsed.data));
  });

  api.delete("/v1/queues/:name/messages", async (c) => {
    const name = queueName(c.req.param("name"));
    return c.json(await queueStub(c.env, name).purge(name));
  });
}
