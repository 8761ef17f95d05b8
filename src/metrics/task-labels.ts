/**
 * The `task` label of `GET /v1/metrics`, bounded. The counters are kept by task name, and a route
 * pattern (`billing.*`) accepts any number of names: each would add its own series. So the names
 * the app names itself (its registered tasks and exact routes, and `unknown`) always keep their
 * label; the others keep theirs while there are at most MAX_TASK_LABELS of them, and past that
 * every one of them is counted under the pattern of the route that routes it, or under `other`
 * when none does. The series then number at most the app's own names, its patterns and one.
 * Pure.
 */
import { MAX_TASK_LABELS } from "../protocol/index.js";
import { sumMetrics, UNKNOWN_TASK, type MetricDelta } from "./task-metrics.js";

/** Task label for a name neither the app nor its route patterns name, once names are folded. */
export const OTHER_TASK = "other";

/** What the app says of a task name, for its label. */
export interface TaskLabelRules {
  /** True for a name the app names itself: a registered task or an exact route. */
  own(task: string): boolean;
  /** The route pattern that routes the name (`billing.*`), or undefined when none matches. */
  pattern(task: string): string | undefined;
}

/**
 * The counters with their task labels bounded (see above): unchanged while at most `cap` names
 * are not the app's own, else those folded into their pattern or {@link OTHER_TASK} and summed.
 */
export function boundTaskLabels(rows: MetricDelta[], rules: TaskLabelRules, cap: number = MAX_TASK_LABELS): MetricDelta[] {
  const foreign = new Set<string>();
  for (const r of rows) if (r.task !== UNKNOWN_TASK && !rules.own(r.task)) foreign.add(r.task);
  if (foreign.size <= cap) return rows;
  return sumMetrics(rows.map((r) => (foreign.has(r.task) ? { ...r, task: rules.pattern(r.task) ?? OTHER_TASK } : r)));
}
