/**
 * `result_extended` args and kwargs that hold large values. A chain's next step, a chord body or
 * a callback gets a large argument as a signed R2 pointer (src/results/pointer.ts), and its
 * result's `args`/`kwargs` are written from its message as sent, pointer included: by the
 * QueueDO's settle, or by the consumer ahead of it (the value itself may pass the 2 MB a Durable
 * Object value holds). Readers resolve those pointers here, as a large result's value is resolved
 * (resolveResult, src/results/read.ts), with the loader a task's arguments are read back with
 * before it runs (src/results/offload.ts). The object belongs to the result the value came from
 * (a previous step's), so it lives as long as that one: an argument that cannot be read back
 * (gone, or no R2 bucket bound) is never shown as the pointer; `args` and `kwargs` are left out
 * and `args_unavailable` says why.
 */
import type { EdgeryEnv } from "../runtime/env.js";
import { POINTER_MARK, PointerSigner, resolvePointers } from "./pointer.js";
import { ValueMissing } from "./r2-backend.js";
import { argumentLoader, NoBucket } from "./offload.js";

/** A result's extended fields, as read (see {@link resolveExtended}). */
export interface ExtendedFields {
  args?: unknown;
  kwargs?: unknown;
  /** Set instead of `args`/`kwargs` when an argument kept in R2 could not be read back: why. */
  args_unavailable?: string;
}

/**
 * `r` with the signed pointers in its `args`/`kwargs` replaced by their values; `r` itself when
 * they hold none (one JSON encoding of the two, tested for the pointer's marker). A pointer-shaped
 * value edgery did not sign is plain data and stays. An argument whose object is gone, or that
 * this Worker has no bucket to read, drops both fields for `args_unavailable`.
 * @throws an R2 error other than a missing object (as a large result's read does).
 */
export async function resolveExtended<T extends object>(env: EdgeryEnv, r: T): Promise<T> {
  const x = r as T & ExtendedFields;
  if (x.args === undefined && x.kwargs === undefined) return r;
  // Without the key nothing was offloaded, and nothing can be told from plain data.
  const signer = PointerSigner.of(env);
  if (!signer || !JSON.stringify([x.args ?? null, x.kwargs ?? null]).includes(POINTER_MARK)) return r;
  const load = argumentLoader(env.RESULTS_R2);
  try {
    const [args, kwargs] = await Promise.all([resolvePointers(x.args, signer, load), resolvePointers(x.kwargs, signer, load)]);
    return { ...x, ...(x.args === undefined ? {} : { args }), ...(x.kwargs === undefined ? {} : { kwargs }) };
  } catch (err) {
    if (!(err instanceof ValueMissing) && !(err instanceof NoBucket)) throw err;
    const { args: _args, kwargs: _kwargs, ...rest } = x;
    return { ...rest, args_unavailable: `the task's args/kwargs are not shown: ${err.message}` } as T;
  }
}
