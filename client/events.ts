/**
 * The live task-event feed (`GET /v1/events`) as an async iterator, with filters applied as the
 * events arrive: `for await (const e of edgery.events({ task: "emails.*" })) ...`.
 */
import type { TaskResult } from "../src/protocol/shared.js";
import type { Requester } from "./requester.js";
import { SseParser } from "./sse.js";
import { EdgeryHttpError } from "./errors.js";
import { sleep } from "./sleep.js";

/** One task event: Celery's name for it (`task-started`, `task-succeeded`, ...) and the result as it stands after it. */
export interface TaskEvent {
  event: string;
  data: TaskResult;
}

/** Which events to keep (each given filter must match; a list matches any of its values). */
export interface EventFilter {
  /** Task names; `*` matches any run of characters (`demo.*`). */
  task?: string | readonly string[];
  /** States of the result after the event (`SUCCESS`, `PROGRESS`, ...). */
  state?: string | readonly string[];
  /** Event names (`task-failed`, ...). */
  event?: string | readonly string[];
  /** Task ids. */
  id?: string | readonly string[];
}

/** Options of `events()`: the filters, and a signal that ends the iteration. */
export interface EventsOptions extends EventFilter {
  /** Aborting it closes the stream; the iteration then ends without an error. */
  signal?: AbortSignal;
  /** Called once the feed has answered (again after each reconnect): events from then on are seen. */
  onOpen?: () => void;
  /**
   * Open the feed again when its stream ends or breaks, or the server cannot be reached or
   * answers 5xx, as a browser's EventSource does: after 0.5 s, doubling to 30 s while it keeps
   * failing, back to 0.5 s once a stream opened. The feed is live only: events sent while
   * disconnected are not replayed. An answer that retrying cannot fix (4xx: no token, a token
   * without the `read` scope) still throws. Default false: the iteration ends with the stream.
   */
  reconnect?: boolean;
  /** Called before each reconnect, with the attempt (1, 2, ...), the wait in ms and why (`null`: the stream ended). */
  onReconnect?: (attempt: number, delayMs: number, cause: unknown) => void;
}

/** The first wait before a reconnect, and the longest (see EventsOptions.reconnect). */
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

const list = (v: string | readonly string[] | undefined): readonly string[] | undefined => (v === undefined ? undefined : typeof v === "string" ? [v] : v);

function globRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** A predicate for {@link EventFilter}, compiled once. Pure. */
export function eventMatcher(filter: EventFilter): (e: TaskEvent) => boolean {
  const tasks = list(filter.task)?.map(globRegex);
  const states = list(filter.state);
  const events = list(filter.event);
  const ids = list(filter.id);
  return (e) =>
    (!tasks || tasks.some((re) => re.test(e.data.task ?? ""))) &&
    (!states || states.includes(e.data.state)) &&
    (!events || events.includes(e.event)) &&
    (!ids || ids.includes(e.data.id));
}

/** A server-sent event as a {@link TaskEvent}, or null when its data is not a result (a newer server's extra). */
export function taskEventOf(event: string, data: string): TaskEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const r = parsed as Partial<TaskResult>;
  if (typeof r.id !== "string" || typeof r.state !== "string") return null;
  return { event, data: parsed as TaskResult };
}

/**
 * Reads the event feed until the stream ends or `signal` aborts (with `reconnect`, until
 * `signal` aborts); stopping the loop early (`break`) closes the stream too.
 * @throws EdgeryHttpError when the feed answers an error (no token, no EVENTS_DO binding, ...);
 *   with `reconnect`, only a 4xx.
 */
export async function* readEvents(requester: Requester, options: EventsOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
  const stream = requester.stream?.bind(requester);
  if (!stream) throw new TypeError("this requester cannot read streams (it has no stream method)");
  const { signal, onOpen, reconnect = false, onReconnect, ...filter } = options;
  const matches = eventMatcher(filter);
  for (let attempt = 1; ; attempt++) {
    let cause: unknown = null;
    let opened = false;
    try {
      for await (const e of readOnce(stream, signal, () => ((opened = true), onOpen?.()))) if (matches(e)) yield e;
    } catch (err) {
      if (!reconnect || !retriable(err)) throw err;
      cause = err;
    }
    if (!reconnect || signal?.aborted) return;
    if (opened) attempt = 1;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (attempt - 1));
    onReconnect?.(attempt, delay, cause);
    if (!(await sleep(delay, signal))) return;
  }
}

/**
 * Whether a reconnect may fix what ended a stream: anything but an error answer below 500 (a
 * `network_error`, status 0, had no answer: the server may be back).
 */
function retriable(err: unknown): boolean {
  return !(err instanceof EdgeryHttpError && err.status > 0 && err.status < 500);
}

/** One stream of the feed, every event in it (filters are the caller's); ends with the stream or `signal`. */
async function* readOnce(stream: NonNullable<Requester["stream"]>, signal: AbortSignal | undefined, opened: () => void): AsyncGenerator<TaskEvent, void, undefined> {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await stream({ method: "GET", path: "/v1/events" }, signal);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  opened();
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      if (chunk.done) return;
      for (const frame of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        const e = taskEventOf(frame.event, frame.data);
        if (e) yield e;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
