/**
 * `GET /v1/metrics` in Prometheus' text exposition format (version 0.0.4). Pure.
 */
import type { QueueStats } from "../protocol/index.js";
import { RUNTIME_BUCKETS, type MetricDelta } from "./task-metrics.js";

/** Requests one Durable Object took since it started (see durable-objects/counted-object.ts). */
export interface ObjectRequests {
  /** Its class, e.g. `QueueDO`. */
  class: string;
  /** Its name, e.g. `default#3` (shard 3 of queue `default`) or `shard-5` (a ResultDO). */
  object: string;
  requests: number;
}

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A label value escaped as the format asks (backslash, double quote, newline). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

/** A sample value as the format writes it. */
function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

function family(out: string[], name: string, type: "gauge" | "counter" | "histogram", help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/**
 * The exposition: queue lengths by state, tasks by task and final state, the runtime histogram
 * (cumulative buckets, `_sum`, `_count`) and retries, each family sorted by its labels; and the
 * requests each Durable Object took (a counter that starts again at 0 when the object restarts).
 */
export function formatMetrics(queues: QueueStats[], tasks: MetricDelta[], objects: ObjectRequests[] = []): string {
  const out: string[] = [];
  const byQueue = [...queues].sort((a, b) => a.name.localeCompare(b.name));
  family(out, "edgery_queue_messages", "gauge", "Messages in a queue, by state (waiting, delayed, leased).");
  for (const q of byQueue) {
    for (const state of ["waiting", "delayed", "leased"] as const) out.push(`edgery_queue_messages${labels({ queue: q.name, state })} ${num(q[state])}`);
  }
  family(out, "edgery_queue_paused", "gauge", "1 when the queue is paused.");
  for (const q of byQueue) out.push(`edgery_queue_paused${labels({ queue: q.name })} ${q.paused ? 1 : 0}`);

  const byTask = new Map<string, Map<string, number>>();
  for (const r of tasks) {
    let m = byTask.get(r.task);
    if (!m) byTask.set(r.task, (m = new Map()));
    m.set(r.key, (m.get(r.key) ?? 0) + r.value);
  }
  const names = [...byTask.keys()].sort();

  family(out, "edgery_tasks_total", "counter", "Tasks that reached a final state, by task name and state.");
  for (const task of names) {
    const states = [...byTask.get(task)!.entries()].filter(([k]) => k.startsWith("state:")).sort(([a], [b]) => a.localeCompare(b));
    for (const [k, v] of states) out.push(`edgery_tasks_total${labels({ task, state: k.slice(6) })} ${num(v)}`);
  }

  family(out, "edgery_task_runtime_seconds", "histogram", "Task runtime from start to finish, by task name (SUCCESS and FAILURE).");
  for (const task of names) {
    const m = byTask.get(task)!;
    const count = m.get("runtime_count") ?? 0;
    if (count === 0) continue;
    let cumulative = 0;
    for (const bound of RUNTIME_BUCKETS) {
      cumulative += m.get(`le:${bound}`) ?? 0;
      out.push(`edgery_task_runtime_seconds_bucket${labels({ task, le: String(bound) })} ${num(cumulative)}`);
    }
    out.push(`edgery_task_runtime_seconds_bucket${labels({ task, le: "+Inf" })} ${num(count)}`);
    out.push(`edgery_task_runtime_seconds_sum${labels({ task })} ${num(m.get("runtime_sum") ?? 0)}`);
    out.push(`edgery_task_runtime_seconds_count${labels({ task })} ${num(count)}`);
  }

  family(out, "edgery_task_retries_total", "counter", "Retries, by task name.");
  for (const task of names) {
    const v = byTask.get(task)!.get("retries");
    if (v !== undefined) out.push(`edgery_task_retries_total${labels({ task })} ${num(v)}`);
  }

  if (objects.length > 0) {
    family(out, "edgery_object_requests_total", "counter", "Requests a Durable Object took since it started (RPC calls and alarms), by class and object name.");
    const sorted = [...objects].sort((a, b) => a.class.localeCompare(b.class) || a.object.localeCompare(b.object));
    for (const o of sorted) out.push(`edgery_object_requests_total${labels({ class: o.class, object: o.object })} ${num(o.requests)}`);
  }
  return out.join("\n") + "\n";
}
