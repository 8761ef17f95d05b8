/** The edgery client: `createClient({ url, token })` and the API calls it makes. */
import {
  MAX_BULK,
  MAX_WAIT_S,
  type ActiveTask,
  type DeadLetter,
  type Handle,
  type QueueSettings,
  type QueueStats,
  type RegisteredTask,
  type ScheduledTask,
  type TaskMap,
  type TaskResult,
  type TaskTypes,
  type UntypedTasks,
} from "../src/protocol/shared.js";
import { readEvents, type EventsOptions, type TaskEvent } from "./events.js";
import type { ApplyResult, CallOptions, SignatureApplier } from "./applier.js";
import { AsyncResult } from "./async-result.js";
import { CanvasSignature } from "./canvas-signature.js";
import type { SignatureLike } from "./from-json.js";
import { GroupResult } from "./group-result.js";
import { resultFromHandle } from "./handles.js";
import { toWireOptions } from "./options.js";
import { createRequester, type Requester, type RequesterConfig } from "./requester.js";
import type { TaskCall, TaskCallArgs, TaskCallWaitArgs, TaskName } from "./task-call.js";

/** How to reach the API: `url`, `token` and optionally a `fetch` (e.g. a service binding's). */
export type ClientConfig = RequesterConfig;

/** Settings of a queue (`PUT /v1/queues/:name`): the protocol's, one definition for both sides. */
export type { QueueSettings };

/** One page of dead letters, newest first; `cursor` reads the next page (null: none). */
export interface DeadLetterPage {
  items: DeadLetter[];
  cursor: string | null;
}

/** `GET /v1/health`'s answer. */
export interface Health {
  ok: boolean;
  version: string;
}

/**
 * The client: sends tasks and canvases, reads results, manages queues.
 * @typeParam T - The app's task map (`TasksOf<typeof app>` from `edgery`): `send` then checks
 *   task names, arguments and options, and types the result. Default: untyped.
 */
export class EdgeryClient<T extends TaskMap = UntypedTasks> implements SignatureApplier<SignatureLike, T> {
  /** Types only (no value); a function type so that clients of different task maps never mix. */
  declare readonly "~tasks"?: (tasks: T) => T;
  /** The requester every call (and every result object) goes through. */
  readonly requester: Requester;

  /** @param config - A {@link ClientConfig}, or a ready {@link Requester}. */
  constructor(config: ClientConfig | Requester) {
    this.requester = "request" in config ? config : createRequester(config);
  }

  /**
   * Sends task `name` (`POST /v1/tasks/:name`), Celery's `send_task` / `apply_async`.
   * @throws EdgeryHttpError e.g. `unknown_task` or `invalid_signature`.
   */
  send<R = unknown>(this: EdgeryClient<UntypedTasks>, name: string, call?: CallOptions): Promise<AsyncResult<R>>;
  /** Sends task `name` of the client's task map: its arguments and options are checked, its result typed. */
  send<N extends TaskName<T>>(name: N, ...call: TaskCallArgs<T[N]>): Promise<AsyncResult<T[N]["result"]>>;
  async send(name: string, call: CallOptions | TaskCall<TaskTypes<readonly unknown[], object, unknown>> = {}): Promise<AsyncResult<unknown>> {
    const handle = await this.requester.request<Handle>({
      method: "POST",
      path: `/v1/tasks/${encodeURIComponent(name)}`,
      body: callBody(call),
    });
    return resultFromHandle(handle, this.requester) as AsyncResult<unknown>;
  }

  /**
   * Sends task `name` and waits for it in the same request (`POST /v1/tasks/:name?wait=S`): when
   * it is ready within `wait` seconds (at most 30) the result comes with the answer, so `get()`
   * makes no further request; otherwise it reads on as `send`'s result does.
   * @example const sum = await (await edgery.call<number>("demo.add", { args: [2, 2] })).get();
   */
  call<R = unknown>(this: EdgeryClient<UntypedTasks>, name: string, call?: CallOptions, wait?: number): Promise<AsyncResult<R>>;
  /** Sends task `name` of the client's task map and waits for it: its arguments and options are checked, its result typed. */
  call<N extends TaskName<T>>(name: N, ...call: TaskCallWaitArgs<T[N]>): Promise<AsyncResult<T[N]["result"]>>;
  async call(name: string, call: CallOptions | TaskCall<TaskTypes<readonly unknown[], object, unknown>> = {}, wait: number = MAX_WAIT_S): Promise<AsyncResult<unknown>> {
    const { result, ...handle } = await this.requester.request<Handle & { result?: TaskResult }>({
      method: "POST",
      path: `/v1/tasks/${encodeURIComponent(name)}`,
      query: { wait: Math.min(Math.max(wait, 0), MAX_WAIT_S) },
      body: callBody(call),
    });
    const r = resultFromHandle(handle, this.requester) as AsyncResult<unknown>;
    if (result) r.prime(result);
    return r;
  }

  /**
   * Applies a signature or canvas (`POST /v1/apply`); call-time values are sent in the wrapper
   * form `{signature, args, kwargs, options}`. A group or chunks gives a {@link GroupResult}, a
   * chain the last step's result (with `parent` back to the first), a chord the body's.
   */
  async apply<S extends SignatureLike>(sig: S, call?: CallOptions): Promise<ApplyResult<S, T>> {
    const signature = toWire(sig);
    const extra = call ? callBody(call) : {};
    const body = Object.keys(extra).length ? { signature, ...extra } : signature;
    const handle = await this.requester.request<Handle>({ method: "POST", path: "/v1/apply", body });
    return resultFromHandle(handle, this.requester) as ApplyResult<S, T>;
  }

  /**
   * Applies 1 to 1000 signatures at once (`POST /v1/apply/bulk`): all are accepted or none.
   * @returns One result per signature, in order.
   */
  async applyBulk(signatures: readonly SignatureLike[]): Promise<Array<AsyncResult | GroupResult>> {
    if (signatures.length < 1 || signatures.length > MAX_BULK) {
      throw new TypeError(`applyBulk takes 1 to ${MAX_BULK} signatures, got ${signatures.length}`);
    }
    const answer = await this.requester.request<{ handles: Handle[] }>({
      method: "POST",
      path: "/v1/apply/bulk",
      body: { signatures: signatures.map(toWire) },
    });
    return answer.handles.map((handle) => resultFromHandle(handle, this.requester));
  }

  /** The result of task `id` (nothing is read until you ask it something). */
  result<T = unknown>(id: string): AsyncResult<T> {
    return new AsyncResult<T>(id, this.requester);
  }

  /** The result of group `id`; its members are known after the first read. */
  groupResult<T = unknown>(id: string): GroupResult<T> {
    return new GroupResult<T>(id, [], this.requester);
  }

  /** Every queue's counts. */
  async queues(): Promise<QueueStats[]> {
    return (await this.requester.request<{ queues: QueueStats[] }>({ method: "GET", path: "/v1/queues" })).queues;
  }

  /** One queue's counts. */
  queue(name: string): Promise<QueueStats> {
    return this.requester.request<QueueStats>({ method: "GET", path: queuePath(name) });
  }

  /** Changes a queue's concurrency or pauses/resumes it; returns its counts. */
  setQueue(name: string, settings: QueueSettings): Promise<QueueStats> {
    return this.requester.request<QueueStats>({ method: "PUT", path: queuePath(name), body: settings });
  }

  /** Drops the queue's waiting messages (leased ones are untouched); returns how many. */
  async purge(name: string): Promise<number> {
    return (await this.requester.request<{ purged: number }>({ method: "DELETE", path: `${queuePath(name)}/messages` })).purged;
  }

  /**
   * The live task events (`GET /v1/events`), filtered as they arrive, until `signal` aborts or
   * the loop stops: `for await (const e of edgery.events({ state: "FAILURE" })) ...`.
   */
  events(options: EventsOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
    return readEvents(this.requester, options);
  }

  /** The tasks the app serves, with their defaults (Celery's `inspect registered`). */
  async registered(): Promise<RegisteredTask[]> {
    return (await this.requester.request<{ tasks: RegisteredTask[] }>({ method: "GET", path: "/v1/inspect/registered" })).tasks;
  }

  /** Tasks a worker has begun, with their last progress (Celery's `inspect active`); of one queue, or all. */
  async active(options: { queue?: string; limit?: number } = {}): Promise<ActiveTask[]> {
    return (await this.requester.request<{ tasks: ActiveTask[] }>({ method: "GET", path: "/v1/inspect/active", query: { ...options } })).tasks;
  }

  /** Delayed tasks (countdown/eta), soonest first (Celery's `inspect scheduled`); of one queue, or all. */
  async scheduled(options: { queue?: string; limit?: number } = {}): Promise<ScheduledTask[]> {
    return (await this.requester.request<{ tasks: ScheduledTask[] }>({ method: "GET", path: "/v1/inspect/scheduled", query: { ...options } })).tasks;
  }

  /** One page of dead letters (tasks that failed for good), newest first. */
  deadLetters(options: { queue?: string; limit?: number; cursor?: string } = {}): Promise<DeadLetterPage> {
    return this.requester.request<DeadLetterPage>({ method: "GET", path: "/v1/dead-letters", query: { ...options } });
  }

  /** Enqueues a dead letter's signature again, with a new id (`queue`: look only there). */
  async replayDeadLetter<R = unknown>(id: string, options: { queue?: string } = {}): Promise<AsyncResult<R>> {
    const handle = await this.requester.request<Handle>({ method: "POST", path: `/v1/dead-letters/${encodeURIComponent(id)}/replay`, query: { ...options } });
    return resultFromHandle(handle, this.requester) as AsyncResult<R>;
  }

  /** `GET /v1/health` (needs no token). */
  health(): Promise<Health> {
    return this.requester.request<Health>({ method: "GET", path: "/v1/health" });
  }
}

/**
 * Creates a client; `createClient<Tasks>(...)` with an app's task map makes a typed one.
 * @example const edgery = createClient<Tasks>({ url: "http://127.0.0.1:8787", token: "dev-token" });
 */
export function createClient<T extends TaskMap = UntypedTasks>(config: ClientConfig): EdgeryClient<T> {
  return new EdgeryClient<T>(config);
}

function queuePath(name: string): string {
  return `/v1/queues/${encodeURIComponent(name)}`;
}

/** A signature object's wire JSON; wire JSON is sent as it is. */
function toWire(sig: SignatureLike): unknown {
  return sig instanceof CanvasSignature ? sig.toJSON() : sig;
}

/** `{args?, kwargs?, options?}` with only the given fields, options in wire form. */
function callBody(call: CallOptions | TaskCall<TaskTypes<readonly unknown[], object, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (call.args !== undefined) body.args = [...call.args];
  if (call.kwargs !== undefined) body.kwargs = { ...call.kwargs };
  if (call.options !== undefined) body.options = toWireOptions(call.options);
  return body;
}
