/**
 * What a signature needs from the client to send itself (`delay`, `applyAsync`), and the types of
 * what applying gives. `EdgeryClient` is a {@link SignatureApplier}; signatures only know this
 * interface, so they do not depend on the client.
 */
import type { TaskMap, UntypedTasks } from "../src/protocol/shared.js";
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
 * The signature whose handle applying `S` answers: a chain's last step, a chord's body (each
 * followed down through chains and chords), else `S` itself; a chain or chord whose last step the
 * compiler does not know (built from a computed list, or wire JSON) stands for itself.
 */
export type HandleNode<S> = S extends { readonly __last?: infer L } ? (unknown extends L ? S : HandleNode<L>) : S;

/**
 * The result type of applying `S` with task map `Tasks`: the one declared on `S`, else the
 * declared one of its {@link HandleNode}, else, for a task signature whose name is in `Tasks`,
 * that task's result.
 */
export type AppliedType<S, Tasks extends TaskMap = UntypedTasks> = OrElse<ResultType<S>, OrElse<ResultType<HandleNode<S>>, TaskResultOf<HandleNode<S>, Tasks>>>;

/** `T`, or `Else` when `T` is `unknown` (not declared). */
type OrElse<T, Else> = [unknown] extends [T] ? Else : T;

/** The result type of a task signature whose name is in `Tasks`; `unknown` for any other. */
type TaskResultOf<N, Tasks extends TaskMap> = N extends { readonly kind: "task"; readonly task: infer Name } ? (Name extends keyof Tasks ? Tasks[Name]["result"] : unknown) : unknown;

/**
 * What applying `S` gives, as the API's handle decides: a group or chunks (or a chain or chord
 * ending in one) a {@link GroupResult}; a task, map or starmap (or a chain or chord ending in one)
 * an {@link AsyncResult}; either when the compiler cannot tell (wire JSON, a chain of a computed
 * list). The result type is {@link AppliedType}.
 */
export type ApplyResult<S, Tasks extends TaskMap = UntypedTasks> =
  HandleNode<S> extends { readonly kind: "group" | "chunks" }
    ? GroupResult<AppliedType<S, Tasks>>
    : HandleNode<S> extends { readonly kind: "task" | "map" | "starmap" }
      ? AsyncResult<AppliedType<S, Tasks>>
      : AsyncResult<AppliedType<S, Tasks>> | GroupResult<AppliedType<S, Tasks>>;

/**
 * Sends a signature (`POST /v1/apply`): what `delay` and `applyAsync` call. `EdgeryClient` is one
 * for every signature object and wire JSON.
 * @typeParam Sig - The signatures it takes (a `CanvasSignature` asks for one that takes it).
 * @typeParam Tasks - The task map results are typed by (a typed client's).
 */
export interface SignatureApplier<Sig = CanvasNode, Tasks extends TaskMap = UntypedTasks> {
  /** Types only (no value): the task map, as `EdgeryClient` declares it, so that it is inferred. */
  readonly "~tasks"?: (tasks: Tasks) => Tasks;
  /** Applies `sig` with call-time values; see `EdgeryClient.apply`. */
  apply<S extends Sig>(sig: S, call?: CallOptions): Promise<ApplyResult<S, Tasks>>;
}
