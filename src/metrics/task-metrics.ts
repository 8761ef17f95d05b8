/**
 * Task counters, kept where results are written: what one stored state change adds to its
 * shard's counters (tasks by final state, the runtime histogram, retries), and how the shards'
 * counters add up. Pure.
 */

/** Upper bounds (seconds) of the runtime histogram's buckets; `+Inf` follows. */
export const RUNTIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800] as const;

/** Task label for a result stored without a task name (a chain step that never ran). */
export const UNKNOWN_TASK = "unknown";

/**
 * One counter of one task. `key` is `state:<STATE>` (tasks that reached a final state),
 * `retries`, `runtime_sum`, `runtime_count` or `le:<bound>` (a histogram bucket, not cumulative:
 * runtimes above the previous bound and at most this one; `le:+Inf` for the rest).
 */
export interface MetricDelta {
  task: string;
  key: string;
  value: number;
}

/** The stored state change a delta is computed from. */
export interface WrittenState {
  task: string | null;
  state: string;
  started_at: number | null;
  date_done: number | null;
}

/** The bucket key a runtime (seconds) falls in. */
export function bucketKey(seconds: number): string {
  const bound = RUNTIME_BUCKETS.find((b) => seconds <= b);
  return `le:${bound ?? "+Inf"}`;
}

/** What a state change that was stored adds to the counters (nothing for a non-final, non-retry state). */
export function metricDeltas(w: WrittenState): MetricDelta[] {
  const task = w.task ?? UNKNOWN_TASK;
  if (w.state === "RETRY") return [{ task, key: "retries", value: 1 }];
  if (w.state !== "SUCCESS" && w.state !== "FAILURE" && w.state !== "REVOKED") return [];
  const out: MetricDelta[] = [{ task, key: `state:${w.state}`, value: 1 }];
  if (w.state !== "REVOKED" && w.started_at !== null && w.date_done !== null && w.date_done >= w.started_at) {
    const s = (w.date_done - w.started_at) / 1000;
    out.push({ task, key: "runtime_sum", value: s }, { task, key: "runtime_count", value: 1 }, { task, key: bucketKey(s), value: 1 });
  }
  return out;
}

/** Adds up counters (from several shards) by task and key. */
export function sumMetrics(rows: Iterable<MetricDelta>): MetricDelta[] {
  const sums = new Map<string, MetricDelta>();
  for (const r of rows) {
    const k = `${r.task}\u0000${r.key}`;
    const have = sums.get(k);
    if (have) have.value += r.value;
    else sums.set(k, { ...r });
  }
  return [...sums.values()];
}
