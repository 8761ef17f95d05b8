/** Turns a contract handle (`{id, kind, results?, parent?}`) into result objects. */
import type { Handle } from "../src/protocol/shared.js";
import { AsyncResult } from "./async-result.js";
import { GroupResult } from "./group-result.js";
import type { Requester } from "./requester.js";

/**
 * An {@link AsyncResult} for a task handle, a {@link GroupResult} for a group handle, with
 * `parent` built back step by step and group members in member order.
 * @throws TypeError when the answer is not a handle.
 */
export function resultFromHandle(handle: Handle, requester: Requester): AsyncResult | GroupResult {
  if (typeof handle !== "object" || handle === null || typeof handle.id !== "string") {
    throw new TypeError(`expected a handle {id, kind}, got ${JSON.stringify(handle)}`);
  }
  const parent = handle.parent ? resultFromHandle(handle.parent, requester) : undefined;
  if (handle.kind === "group") {
    const members = (handle.results ?? []).map((member) => resultFromHandle(member, requester));
    return new GroupResult(handle.id, members, requester, parent);
  }
  return new AsyncResult(handle.id, requester, parent);
}
