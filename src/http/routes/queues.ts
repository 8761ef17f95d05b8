/**
 * Queues: stats, settings (concurrency, paused, max_waiting, prefetch) and purge.
 */
import type { Hono } from "hono";
import { DEFAULT_QUEUE, WireError } from "../../protocol/index.js";
import { directoryStub } from "../../runtime/stubs.js";
import { brokerOfQueue, queueStatsOf } from "../../brokers/registry.js";
import { readJson } from "../body.js";
import { parseQueueSettings } from "../queue-settings.js";
import { queueName } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import { fulfilled } from "../../runtime/settled.js";
import { pathParam } from "../path-param.js";


/** Registers the queue routes. */
export function queueRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/queues", need("read"), async (c) => {
    const known = await directoryStub(c.env).listQueues();
    const names = [...new Set([DEFAULT_QUEUE, ...c.get("app").routedQueues(), ...known])].sort();
    // One unreachable remote app must not hide every other queue: its queues are left out.
    const settled = await Promise.allSettled(names.map((n) => queueStatsOf(c.env, c.get("app"), n)));
    const queues = fulfilled(settled, (i, reason) => console.error(`edgery: stats of queue '${names[i]}' unavailable`, reason));
    return c.json({ queues });
  });

  api.get("/v1/queues/:name", need("read"), async (c) => {
    const name = queueName(pathParam(c, "name"));
    return c.json(await queueStatsOf(c.env, c.get("app"), name));
  });

  api.put("/v1/queues/:name", need("admin"), async (c) => {
    const name = queueName(pathParam(c, "name"));
    const settings = parseQueueSettings(await readJson(c.req.raw));
    const broker = brokerOfQueue(c.env, c.get("app"), name);
    if (!broker.configure) throw new WireError("invalid_request", `queue '${name}' is on the ${broker.kind} broker, which has no concurrency window or pause`, "name");
    return c.json(await broker.configure(name, settings));
  });

  api.delete("/v1/queues/:name/messages", need("admin"), async (c) => {
    const name = queueName(pathParam(c, "name"));
    const broker = brokerOfQueue(c.env, c.get("app"), name);
    if (!broker.purge) throw new WireError("invalid_request", `queue '${name}' is on the ${broker.kind} broker, whose waiting messages cannot be dropped`, "name");
    return c.json(await broker.purge(name));
  });
}
