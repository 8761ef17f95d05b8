/**
 * Results: read (with `?wait=`), group results, revoke, forget.
 */
import type { Hono } from "hono";
import { MAX_TASK_ID_CHARS, MAX_WAIT_S, WireError, type TaskResult } from "../../protocol/index.js";
import { resultStub } from "../../runtime/stubs.js";
import { revokeTargets } from "../revoke-targets.js";
import { revokeEverywhere } from "../../brokers/registry.js";
import { forgetResult, readGroup, readResult, resolveResult } from "../../results/read.js";
import { parseResultQuery } from "../result-query.js";
import { D1Backend } from "../../results/d1-backend.js";
import { encodeCursor, epochOf } from "../../results/backend.js";
import { isPointer, pointedBytes } from "../../results/pointer.js";
import { asObject, onlyFields, readJson } from "../body.js";
import { queryParam, queryReader, waitMs } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import { pathParam } from "../path-param.js";

/**
 * Large values (R2: results' own, and arguments of `result_extended` ones) resolved into one page
 * of `GET /v1/results` at most; the page ends early past it.
 */
const PAGE_VALUE_BYTES = 16 * 1024 * 1024;

/** Registers the result routes. */
export function resultRoutes(api: Hono<ApiEnv>): void {
  // Results in the queryable backend (D1), newest first, with cursor paging.
  api.get("/v1/results", need("read"), async (c) => {
    const { filter, cursor } = parseResultQuery(queryReader(c));
    const db = c.env.RESULTS_DB;
    if (!db) throw new WireError("invalid_request", "no queryable result backend is configured: bind a D1 database as RESULTS_DB (docs/result-backends.md)");
    const page = await new D1Backend(db).query(filter, cursor);
    // Large values come back from R2; past PAGE_VALUE_BYTES the page stops and the cursor resumes.
    let bytes = 0;
    let results = page.results;
    let next = page.cursor;
    // A result's own value, and the large arguments of its result_extended args/kwargs.
    const cut = results.findIndex((r) => (bytes += (isPointer(r.result) ? r.result.bytes : 0) + pointedBytes([r.args, r.kwargs])) > PAGE_VALUE_BYTES);
    if (cut >= 0 && Math.max(cut, 1) < results.length) {
      results = results.slice(0, Math.max(cut, 1));
      const last = results[results.length - 1]!;
      next = encodeCursor({ d: epochOf(last.date_done) ?? 0, id: last.id });
    }
    return c.json({ results: await Promise.all(results.map((r) => resolveResult(c.env, r))), cursor: next });
  });

  api.get("/v1/results/:id", need("read"), async (c) => {
    const r = await readResult(c.env, pathParam(c, "id"), waitMs(queryParam(c, "wait")), (p) => c.executionCtx.waitUntil(p));
    return c.json(r);
  });

  api.delete("/v1/results/:id", need("admin"), async (c) => {
    await forgetResult(c.env, pathParam(c, "id"));
    return c.body(null, 204);
  });

  api.get("/v1/groups/:id", need("read"), async (c) => {
    const id = pathParam(c, "id");
    const g = await readGroup(c.env, id, waitMs(queryParam(c, "wait")));
    if (!g) throw new WireError("not_found", `no group with id '${id}'`);
    return c.json(g);
  });

  api.post("/v1/results/:id/revoke", need("admin"), async (c) => {
    const id = pathParam(c, "id");
    const body = asObject((await readJson(c.req.raw, true)) ?? {}, "invalid_request");
    onlyFields(body, ["terminate"], "a revoke");
    if (body.terminate !== undefined && typeof body.terminate !== "boolean") throw new WireError("invalid_request", "terminate: must be a boolean", "terminate");
    const terminate = body.terminate === true;
    // An id longer than any task or group id names nothing: as an unknown id, without
    // remembering it in every queue (and a peer app refuses it).
    if (id.length > MAX_TASK_ID_CHARS) return c.json({ id, state: "PENDING" }, 202);
    // A group id revokes every member, as Celery's GroupResult.revoke().
    const group = await resultStub(c.env, id).groupMembers(id);
    const members = group ?? [id];
    // Each queue through its broker: a queue of another app (service/http) is revoked there.
    const answers = await revokeEverywhere(c.env, c.get("app"), await revokeTargets(c.env, c.get("app"), members), members, terminate);
    const ended = answers.some((a) => a.revoked.length > 0);
    if (group) {
      // A group has no result of its own: it reads REVOKED once every member does (a revoke
      // sent again answered PENDING for a group whose members were all revoked).
      const revoked = ended || (await readGroup(c.env, id, 0))?.results.every((r) => r.state === "REVOKED") === true;
      return c.json({ id, state: revoked ? "REVOKED" : "PENDING" }, 202);
    }
    const now = (await resultStub(c.env, id).get(id)) as TaskResult | null;
    return c.json({ id, state: now?.state ?? (ended ? "REVOKED" : "PENDING") }, 202);
  });
}
