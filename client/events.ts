/**
 * The live task-event feed (`GET /v1/events`) as an async iterator, with filters applied as the
 * events arrive: `for await (const e of edgery.events({ task: "emails.*" })) ...`.
 */
import type { TaskResult } from "../src/protocol/shared.js";
import type { Requester } from "./requester.js";
import { SseParser } from "./sse.js";

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
  /** Called once the feed has answered: events from then on are seen. */
  onOpen?: () => void;
}

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
 * Reads the event feed until the stream ends or `signal` aborts; stopping the loop early
 * (`break`) closes the stream too.
 * @throws EdgeryHttpError when the feed answers an error (no token, no EVENTS_DO binding, ...).
 */
export async function* readEvents(requester: Requester, options: EventsOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
  if (!requester.stream) throw new TypeError("this requester cannot read streams (it has no stream method)");
  const { signal, onOpen, ...filter } = options;
  const matches = eventMatcher(filter);
  let body: ReadableStream<Uint8Array>;
  try {
    body = await requester.stream({ method: "GET", path: "/v1/events" }, signal);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  onOpen?.();
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
        if (e && matches(e)) yield e;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
