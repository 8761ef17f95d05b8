/**
 * Path parameters (`:id`, `:name`): how every route reads one. Hono decodes a parameter's
 * percent-encoding but keeps a sequence it cannot decode as it stands (`%ZZ`, `%E0%A4%A`), so
 * such an id was looked up, revoked or forgotten as a literal. pathParam decodes the segment
 * itself and refuses one that is not percent-encoded UTF-8, with the contract's error for a bad
 * path value (422 `invalid_request` naming the parameter, as a bad queue name in a path).
 */
import type { Context } from "hono";
import { routePath } from "hono/route";
import { WireError } from "../protocol/index.js";

/**
 * The decoded value of path parameter `name` of the route answering `c`.
 * @throws WireError `invalid_request` at `name` when its segment is not valid percent-encoding of
 * UTF-8 (a `%` not followed by two hex digits, or bytes that are not UTF-8).
 */
export function pathParam(c: Context, name: string): string {
  const pattern = routePath(c);
  const at = pattern.split("/").indexOf(`:${name}`);
  const raw = at < 0 ? undefined : new URL(c.req.url).pathname.split("/")[at];
  if (raw === undefined) throw new Error(`edgery: route ${pattern} has no parameter '${name}'`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new WireError("invalid_request", `${name}: not valid percent-encoding (a % must begin an escape of UTF-8 bytes, as %E2%9C%93)`, name);
  }
}
