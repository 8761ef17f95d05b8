/**
 * What a signature needs from the client to send itself (`delay`, `applyAsync`), and the types of
 * what applying gives. `EdgeryClient` is a {@link SignatureApplier}; signatures only know this
 * interface, so they do not depend on the client.
 */
import type { AsyncResult } from "./async-result.js";
import type { GroupResult } from "./group-result.js";
import type { SignatureOptions } from "./options.js";
import type { CanvasNode } from "./types.js";

/** Call-time values for `apply`: args go before a partial's own, kwargs win over its own. */
export interface CallOptions {
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  options?: SignatureOptions;
}

/** The result type a signature was declared with (`sig<number>(...)` gives `number`). */
export type ResultType<S> = S extends { readonly __result?: infer T } ? T : unknown;

/**
 * What applying `S` gives: a group or chunks gives a {@link GroupResult}; a task, map or starmap
 * an {@link AsyncResult}; a chain or chord whatever its last step is.
 */
export type ApplyResult<S> = S extends { kind: "group" | "chunks" }
  ? GroupResult<ResultType<S>>
  : S extends { kind: "task" | "map" | "starmap" }
    ? AsyncResult<ResultType<S>>
    : AsyncResult<ResultType<S>> | GroupResult;

/**
 * Sends a signature (`POST /v1/apply`): what `delay` and `applyAsync` call. `EdgeryClient` is one
 * for every signature object and wire JSON.
 * @typeParam Sig - The signatures it takes (a `CanvasSignature` asks for one that takes it).
 */
export interface SignatureApplier<Sig = CanvasNode> {
  /** Applies `sig` with call-time values; see `EdgeryClient.apply`. */
  apply<S extends Sig>(sig: S, call?: CallOptions): Promise<ApplyResult<S>>;
}
