/**
 * What the API answers: handles, task results, group results and queue stats.
 */
import type { TaskErrorInfo } from "./task-error.js";
import type { TaskState } from "./states.js";

/** What was started, as Celery's `AsyncResult` / `GroupResult`. */
export interface Handle {
  id: string;
  kind: "task" | "group";
  /** A group's members, in member order. */
  results?: Handle[];
  /** The previous step of a chain, or a chord body's header group. */
  parent?: Handle;
}

/** A task's result, as `GET /v1/results/:id` answers it. */
export interface TaskResult {
  id: string;
  state: TaskState;
  result: unknown;
  meta: unknown;
  error: TaskErrorInfo | null;
  task: string | null;
  queue: string | null;
  worker: string | null;
  retries: number;
  parent_id: string | null;
  group_id: string | null;
  children: string[];
  started_at: string | null;
  date_done: string | null;
  /**
   * Set, with `result` null, when the task's value was kept in R2 and cannot be read back (its
   * object is gone, or the reading Worker binds no `RESULTS_R2`): why. Absent otherwise.
   */
  result_unavailable?: string;
}

/** A group's results, as `GET /v1/groups/:id` answers it. */
export interface GroupResult {
  id: string;
  results: TaskResult[];
  total: number;
  completed: number;
  ready: boolean;
  successful: boolean;
  failed: boolean;
}

/** Settings a queue accepts (`PUT /v1/queues/:name`); every broker that manages queues takes these. */
export interface QueueSettings {
  /** How many of the queue's tasks may run at once (>= 1). */
  concurrency?: number;
  /** A paused queue keeps its messages but starts none. */
  paused?: boolean;
  /** Back-pressure: enqueue is refused (the API answers 503 overloaded) past this many messages. */
  max_waiting?: number;
  /** How many of the queue's tasks one delivery may carry (1-100; Celery's prefetch). */
  prefetch?: number;
}

/** A queue's counts, as `GET /v1/queues/:name` answers them. */
export interface QueueStats {
  name: string;
  waiting: number;
  delayed: number;
  leased: number;
  paused: boolean;
  concurrency: number;
  /** How many of the queue's tasks one delivery may carry (`prefetch`). */
  prefetch: number;
  completed: number;
  failed: number;
  /** How many QueueDO shards the queue spreads over (an addition: absent on brokers without shards). */
  shards?: number;
}

/** The answer for an id nothing is known of: `PENDING`, as in Celery. */
export function pendingResult(id: string): TaskResult {
  return {
    id,
    state: "PENDING",
    result: null,
    meta: null,
    error: null,
    task: null,
    queue: null,
    worker: null,
    retries: 0,
    parent_id: null,
    group_id: null,
    children: [],
    started_at: null,
    date_done: null,
  };
}
