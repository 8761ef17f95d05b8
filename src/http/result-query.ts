/**
 * `GET /v1/results?state=&task=&queue=&since=&limit=&cursor=`: the query string as a filter, with
 * the contract's errors (422 `invalid_request` whose `path` names the parameter).
 */
import { isoEpochMs, READY_STATES, WireError } from "../protocol/index.js";
import { limitParam, queueParam, type QueryReader } from "./query.js";
import { decodeCursor, type ResultFilter } from "../results/backend.js";

/** Default and largest page size. */
export const DEFAULT_RESULTS_LIMIT = 100;
export const MAX_RESULTS_LIMIT = 1000;

/** A task name as a signature may give one: 1 to 256 characters (a lone surrogate names no stored task). */
const isTaskName = (s: string): boolean => s.length <= 256 && !/\p{Surrogate}/u.test(s);

/** Parses the query, read through `q` (a missing or empty parameter is absent, as the other list routes do). */
export function parseResultQuery(q: QueryReader): { filter: ResultFilter; cursor: string | null } {
  const get = (k: string): string | undefined => {
    const v = q(k);
    return v === "" ? undefined : v;
  };
  const filter: ResultFilter = { limit: limitParam(get("limit"), DEFAULT_RESULTS_LIMIT, MAX_RESULTS_LIMIT) };
  const state = get("state");
  if (state !== undefined) {
    if (!READY_STATES.has(state)) {
      throw new WireError("invalid_request", `state: must be one of ${[...READY_STATES].join(", ")} (the queryable backend keeps finished results)`, "state");
    }
    filter.state = state;
  }
  const task = get("task");
  if (task !== undefined) {
    if (!isTaskName(task)) throw new WireError("invalid_request", "task: not a task name (1 to 256 characters of well-formed Unicode)", "task");
    filter.task = task;
  }
  const queue = queueParam(get("queue"));
  if (queue !== undefined) filter.queue = queue;
  const since = get("since");
  if (since !== undefined) {
    const t = /^\d+$/.test(since) ? Number(since) : (isoEpochMs(since) ?? NaN);
    if (!Number.isSafeInteger(t)) {
      throw new WireError("invalid_request", "since: must be an ISO 8601 date-time (2026-01-31T12:00:00Z) or epoch milliseconds", "since");
    }
    filter.since = t;
  }
  const cursor = get("cursor") ?? null;
  if (cursor !== null && !decodeCursor(cursor)) throw new WireError("invalid_request", "cursor: not a cursor this route returned", "cursor");
  return { filter, cursor };
}
