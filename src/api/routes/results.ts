/**
 * Results: read (with `?wait=`), group results, revoke, forget.
 */
import type { Hono } from "hono";
import { MAX_WAIT_S, WireError, type TaskResult } from "../../protocol/index.js";
import { directoryStub, queueStub, resultStub } from "../../broker/stubs.js";
import { forgetResult, readGroup, readResult } from "../../results/read.js";
import { asObject, readJson } from "../body.js";
import type { ApiEnv } from "../types.js";

/** `?wait=S` in ms (0 when absent), at most MAX_WAIT_S seconds. */
export function waitMs(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0) throw new WireError("invalid_request", "wait: must be a number of seconds >= 0", "wait");
  return Math.min(s, MAX_WAIT_S) * 1000;
}

/** Registers the result routes. */
export function resultRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/results/:id", async (c) => {
    const r = await readResult(c.env, c.req.param("id"), waitMs(c.req.query("wait")), (p) => c.executionCtx.waitUntil(p));
    return c.json(r);
  });

  api.delete("/v1/results/:id", async (c) => {
    await forgetResult(c.env, c.req.param("id"));
    return c.body(null, 204);
  });

  api.get("/v1/groups/:id", async (c) => {
    const id = c.req.param("id");
    const g = await readGroup(c.env, id, waitMs(c.req.query("wait")));
    if (!g) throw new WireError("not_found", `no group with id '${id}'`);
    return c.json(g);
  });

  api.post("/v1/results/:id/revoke", async (c) => {
    const id = c.req.param("id");
    const body = asObject((await readJson(c.req.raw, true)) ?? {}, "invalid_request");
    if (body.terminate !== undefined && typeof body.terminate !== "boolean") throw new WireError("invalid_request", "terminate: must be a boolean", "terminate");
    const terminate = body.terminate === true;
    // A group id revokes every member, as Celery's GroupResult.revoke().
    const members = (await resultStub(c.env, id).groupMembers(id)) ?? [id];
    const queues = await directoryStub(c.env).listQueues();
    const answers = await Promise.all(queues.map((q) => queueStub(c.env, q).revoke(members, terminate)));
    const ended = answers.some((a) => a.revoked.length > 0);
    const now = (await resultStub(c.env, id).get(id)) as TaskResult | null;
    return c.json({ id, state: now?.state ?? (ended ? "REVOKED" : "PENDING") }, 202);
  });
}
