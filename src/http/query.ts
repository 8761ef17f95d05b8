/**
 * Query parameters: how every route reads one (queryParam: once, or 422), and the parameters
 * shared by the routes (`limit`, `queue`, `wait`), with the contract's errors (422
 * `invalid_request` naming the parameter).
 */
import type { Context } from "hono";
import { MAX_WAIT_S, QUEUE_NAME, WireError } from "../protocol/index.js";

/** Reads one query parameter by name: its value, or undefined when it is absent. */
export type QueryReader = (name: string) => string | undefined;

/**
 * The value of query parameter `name` (undefined when absent). Every route reads its query
 * through this, so that none takes the first of several values silently.
 * @throws WireError `invalid_request` at `name` when the parameter is given more than once
 * (`?wait=1&wait=30`): which one was meant is not the API's to guess.
 */
export function queryParam(c: Context, name: string): string | undefined {
  const values = c.req.queries(name);
  if (values !== undefined && values.length > 1) throw new WireError("invalid_request", `${name}: given ${values.length} times; give it once`, name);
  return values?.[0];
}

/** A {@link QueryReader} over a request's query, through {@link queryParam}. */
export function queryReader(c: Context): QueryReader {
  return (name) => queryParam(c, name);
}

/** `?limit=` as an integer in 1..max, `fallback` when absent. */
export function limitParam(raw: string | undefined, fallback: number, max = 1000): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new WireError("invalid_request", `limit: must be an integer from 1 to ${max}`, "limit");
  return Number(raw);
}

/** `?queue=` as a queue name, undefined when absent or empty (as every list route reads an empty parameter). */
export function queueParam(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!QUEUE_NAME.test(raw)) throw new WireError("invalid_request", `queue: '${raw}' is not a queue name (letters, digits and . _ : - only)`, "queue");
  return raw;
}

/** A queue name from a path segment, or 422 `invalid_request` at `name`. */
export function queueName(name: string): string {
  if (!QUEUE_NAME.test(name)) throw new WireError("invalid_request", `'${name}' is not a queue name (letters, digits and . _ : - only)`, "name");
  return name;
}

/** A decimal number of seconds as JSON writes one, without a sign: not hex, binary, octal or spaces. */
const SECONDS = /^\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** `?wait=S` in ms (0 when absent), at most MAX_WAIT_S seconds. */
export function waitMs(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const s = Number(raw);
  if (!SECONDS.test(raw) || !Number.isFinite(s)) throw new WireError("invalid_request", "wait: must be a decimal number of seconds >= 0", "wait");
  return Math.min(s, MAX_WAIT_S) * 1000;
}
