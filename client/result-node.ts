/**
 * What a task's result and a group's result have in common, so an {@link AsyncResult}'s
 * `parent` can be either without `async-result.ts` depending on `group-result.ts`.
 */
import type { TaskState } from "../src/protocol/shared.js";
import type { WaitOptions } from "./poll.js";

/** Options of `get()`. */
export interface GetOptions extends WaitOptions {
  /** Throw the task's error when it failed or was revoked (default `true`, as Celery). */
  propagate?: boolean;
}

/**
 * A result object: an `AsyncResult` or a `GroupResult` (narrow with `instanceof`). It is the
 * type of `AsyncResult.parent`: the previous step of a chain, or a chord body's header group.
 */
export interface ResultNode {
  /** The task or group id. */
  readonly id: string;
  /** Its own parent, when known. */
  readonly parent: ResultNode | undefined;
  /** Waits until it is ready and returns its result (a group's: the list of member results). */
  get(options?: GetOptions): Promise<unknown>;
  /** True once it is ready (a group: every member). */
  ready(): Promise<boolean>;
  /** True when it succeeded (a group: every member). */
  successful(): Promise<boolean>;
  /** True when it failed (a group: any member). */
  failed(): Promise<boolean>;
  /** Revokes it (a group: every member); returns the state(s) now. */
  revoke(options?: { terminate?: boolean }): Promise<TaskState | TaskState[]>;
}
