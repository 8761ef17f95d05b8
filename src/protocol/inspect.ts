/**
 * What the inspection routes answer (`GET /v1/inspect/registered|active|scheduled`), as
 * Celery's `inspect registered|active|scheduled`.
 */
import type { TaskState } from "./states.js";

/** A task the app serves, with the settings a call that sets none gets. */
export interface RegisteredTask {
  name: string;
  /** The app's and the task's defaults merged, and the queue its route (or `default`) gives. */
  defaults: Record<string, unknown>;
}

/** A task a worker has begun and not yet ended. */
export interface ActiveTask {
  id: string;
  task: string;
  queue: string;
  /** `STARTED`, or the custom state it set last (`PROGRESS`). */
  state: TaskState;
  /** When its current delivery began (ISO-8601), as its queue recorded it; null only for a task begun by an older version without `track_started`. */
  started_at: string | null;
  /** The worker running it, when its result says so. */
  worker: string | null;
  /** The meta of its last custom state (`{current, total}` for `PROGRESS`), else null. */
  meta: unknown;
}

/** A delayed task (countdown/eta) not yet due. */
export interface ScheduledTask {
  id: string;
  task: string;
  queue: string;
  /** When it becomes due (ISO-8601). */
  eta: string;
  priority: number;
}
