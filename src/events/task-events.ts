/**
 * Task events, as Celery's event names: which state change is which event, and how one is
 * framed on a `text/event-stream`. Pure.
 */
import { isReady, type TaskResult } from "../protocol/index.js";

/**
 * The events `GET /v1/events` sends, per task in this order: `task-received` and
 * `task-started` (a worker took it and it began), `task-progress` (each `update_state`), then
 * one of `task-succeeded`, `task-failed`, `task-retried`, `task-revoked`.
 */
export type TaskEventName = "task-received" | "task-started" | "task-progress" | "task-succeeded" | "task-failed" | "task-retried" | "task-revoked";

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
  return Object.hasOwn(BY_STATE, state) ? BY_STATE[state]! : null;
}

/**
 * The event a stored result write is: `task-progress` for a task's own `update_state` with a
 * state that is not ready; none for RECEIVED or STARTED (the queue announces those when a
 * worker begins the task, whether or not `track_started` stores STARTED); else by state.
 */
export function eventOfWrite(state: string, progress: boolean): TaskEventName | null {
  if (progress && !isReady(state)) return "task-progress";
  if (state === "RECEIVED" || state === "STARTED") return null;
  return eventOfState(state);
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
