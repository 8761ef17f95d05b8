/** Celery's `AsyncResult`: the state and result of one task, read from `GET /v1/results/:id`. */
import { isReady, type TaskResult, type TaskState } from "../src/protocol/shared.js";
import { taskErrorFrom, type TaskFailedError } from "./errors.js";
import { pollUntilReady, watchChanges, type WaitOptions } from "./poll.js";
import type { Requester } from "./requester.js";
import type { GetOptions, ResultNode } from "./result-node.js";

/** Options of {@link AsyncResult.get}: those of every result, and `onProgress`. */
export interface TaskGetOptions extends GetOptions {
  /**
   * Called with the meta of each state the task sets while it runs (`{current, total}` for
   * `PROGRESS`), as Celery's `get(on_message=...)`. With it, `get()` reads the result every
   * `interval` (see {@link AsyncResult.watch}) instead of long-polling.
   */
  onProgress?: (meta: unknown, result: TaskResult) => void;
}

/** A task started by `send`/`apply`, or looked up by id with `client.result(id)`. */
export class AsyncResult<T = unknown> implements ResultNode {
  /**
   * The previous step of a chain, or a chord body's header group (an `AsyncResult` or a
   * `GroupResult`); `undefined` for a lone task.
   */
  parent: ResultNode | undefined;
  /** The tasks this one started (callbacks, ...), as of the last read. */
  children: readonly AsyncResult[] = [];
  private last: TaskResult | undefined;

  /**
   * @param id - The task id.
   * @param requester - How to reach the API.
   * @param parent - The parent result, when known.
   */
  constructor(
    readonly id: string,
    private readonly requester: Requester,
    parent?: ResultNode,
  ) {
    this.parent = parent;
  }

  /**
   * Reads the result (a ready result is read once, then kept). With `wait`, the server holds the
   * answer up to that many seconds (at most 30) until the task is ready.
   */
  async fetch(wait?: number, signal?: AbortSignal): Promise<TaskResult> {
    if (this.last && isReady(this.last.state)) return this.last;
    const result = await this.requester.request<TaskResult>(
      {
        method: "GET",
        path: `/v1/results/${encodeURIComponent(this.id)}`,
        query: { wait },
      },
      signal,
    );
    this.prime(result);
    return result;
  }

  /** @internal Records a result read elsewhere (by a group read). */
  prime(result: TaskResult): void {
    this.last = result;
    this.children = (result.children ?? []).map((id) => new AsyncResult(id, this.requester));
    if (!this.parent && result.parent_id) this.parent = new AsyncResult(result.parent_id, this.requester);
  }

  /** The current state: `PENDING`, `STARTED`, `SUCCESS`, a custom state such as `PROGRESS`, ... */
  async state(): Promise<TaskState> {
    return (await this.fetch()).state;
  }

  /**
   * Celery's `.info`: the return value once `SUCCESS`, the error once failed or revoked, else the
   * meta the task set with its state (`{current, total}` for `PROGRESS`).
   */
  async info(): Promise<unknown> {
    const result = await this.fetch();
    if (result.state === "SUCCESS") return result.result as T;
    if (result.state === "FAILURE" || result.state === "REVOKED") return taskErrorFrom(result.error, this.id, result.state);
    return result.meta;
  }

  /** True once the task is `SUCCESS`, `FAILURE` or `REVOKED`. */
  async ready(): Promise<boolean> {
    return isReady((await this.fetch()).state);
  }

  /** True when the task succeeded. */
  async successful(): Promise<boolean> {
    return (await this.fetch()).state === "SUCCESS";
  }

  /** True when the task ended `FAILURE`, as Celery's `failed()` (a `REVOKED` task is not failed). */
  async failed(): Promise<boolean> {
    return (await this.fetch()).state === "FAILURE";
  }

  /**
   * Waits until the task is ready and returns its result; a failure or revocation is thrown as
   * its error class ({@link TaskFailedError}, `TimeLimitExceeded`, ...).
   * @throws TimeoutError when `timeout` seconds pass first.
   */
  get(options?: TaskGetOptions & { propagate?: true }): Promise<T>;
  /** As above, but a failure is returned (not thrown) as its error object. */
  get(options: TaskGetOptions & { propagate: false }): Promise<T | TaskFailedError>;
  /** With options computed at run time (`propagate` a boolean): the value, or the error when not propagated. */
  get(options: TaskGetOptions): Promise<T | TaskFailedError>;
  async get(options: TaskGetOptions = {}): Promise<T | TaskFailedError> {
    const result = options.onProgress ? await this.watchToEnd(options.onProgress, options) : await pollUntilReady((wait, signal) => this.fetch(wait, signal), (r) => isReady(r.state), options, `task ${this.id}`);
    if (result.state === "SUCCESS") return result.result as T;
    const error = taskErrorFrom(result.error, this.id, result.state);
    if (options.propagate === false) return error;
    throw error;
  }

  /**
   * The task's result each time its state or meta changes (read every `interval`, default 0.5 s),
   * ending with the ready one: `for await (const r of result.watch()) console.log(r.state, r.meta)`.
   * @throws TimeoutError when `timeout` seconds pass before it is ready.
   */
  watch(options: WaitOptions = {}): AsyncGenerator<TaskResult, void, undefined> {
    return watchChanges((signal) => this.fetch(undefined, signal), (r) => `${r.state}\u0000${JSON.stringify(r.meta ?? null)}`, (r) => isReady(r.state), options, `task ${this.id}`);
  }

  private async watchToEnd(onProgress: (meta: unknown, result: TaskResult) => void, options: WaitOptions): Promise<TaskResult> {
    let last: TaskResult | undefined;
    for await (const r of this.watch(options)) {
      last = r;
      if (!isReady(r.state) && r.state !== "PENDING") onProgress(r.meta, r);
    }
    return last!;
  }

  /** Forgets the stored result (`DELETE /v1/results/:id`); the id then reads `PENDING`. */
  async forget(): Promise<void> {
    await this.requester.request<void>({ method: "DELETE", path: `/v1/results/${encodeURIComponent(this.id)}` });
    this.last = undefined;
    this.children = [];
  }

  /**
   * Revokes the task: it will not run; with `terminate`, a running task is stopped too.
   * @returns Its state now.
   */
  async revoke(options: { terminate?: boolean } = {}): Promise<TaskState> {
    const answer = await this.requester.request<{ id: string; state: TaskState }>({
      method: "POST",
      path: `/v1/results/${encodeURIComponent(this.id)}/revoke`,
      body: options.terminate === undefined ? {} : { terminate: options.terminate },
    });
    this.last = undefined;
    return answer.state;
  }
}
