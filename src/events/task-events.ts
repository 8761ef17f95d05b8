/**
 * Task events, as Celery's event names: which state change is which event, and how one is
 * framed on a `text/event-stream`. Pure.
 */
import type { TaskResult } from "../protocol/index.js";

/** The events `GET /v1/events` sends. */
export type TaskEventName = "task-received" | "task-started" | "task-succeeded" | "task-failed" | "task-retried" | "task-revoked";

const BY_STATE: Record<string, TaskEventName> = {
  RECEIVED: "task-received",
  STARTED: "task-started",
  SUCCESS: "task-succeeded",
  FAILURE: "task-failed",
  RETRY: "task-retried",
  REVOKED: "task-revoked",
};

/** The event a new state is, or null for a state that is no event (PENDING, custom states). */
export function eventOfState(state: string): TaskEventName | null {
  return BY_STATE[state] ?? null;
}

/** One event: its name and the result as stored after the change. */
export interface TaskEvent {
  event: TaskEventName;
  data: TaskResult;
}

/** An event as an SSE frame (`event:` and one `data:` line of JSON, then a blank line). */
export function sseFrame(e: TaskEvent): string {
  // JSON.stringify never emits a raw newline, so one data line carries it.
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** An SSE comment (ignored by clients; keeps proxies from closing an idle stream). */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}
