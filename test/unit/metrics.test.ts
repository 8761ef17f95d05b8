import { describe, expect, it } from "vitest";
import { escapeLabel, formatMetrics } from "../../src/metrics/prometheus";
import { bucketKey, metricDeltas, sumMetrics, UNKNOWN_TASK } from "../../src/metrics/task-metrics";
import { boundTaskLabels, OTHER_TASK } from "../../src/metrics/task-labels";
import { MAX_TASK_LABELS, type QueueStats } from "../../src/protocol";

const queue = (name: string, over: Partial<QueueStats> = {}): QueueStats => ({
  name, waiting: 0, delayed: 0, leased: 0, paused: false, concurrency: 1000, prefetch: 100, completed: 0, failed: 0, ...over,
});

describe("metricDeltas", () => {
  it("counts a final state with its runtime bucket", () => {
    expect(metricDeltas({ task: "a", state: "SUCCESS", started_at: 1000, date_done: 1300 })).toEqual([
      { task: "a", key: "state:SUCCESS", value: 1 },
      { task: "a", key: "runtime_sum", value: 0.3 },
      { task: "a", key: "runtime_count", value: 1 },
      { task: "a", key: "le:0.5", value: 1 },
    ]);
  });

  it("counts a retry, a revocation without runtime, nothing for other states", () => {
    expect(metricDeltas({ task: "a", state: "RETRY", started_at: null, date_done: null })).toEqual([{ task: "a", key: "retries", value: 1 }]);
    expect(metricDeltas({ task: "a", state: "REVOKED", started_at: 1, date_done: 2 })).toEqual([{ task: "a", key: "state:REVOKED", value: 1 }]);
    expect(metricDeltas({ task: null, state: "FAILURE", started_at: null, date_done: 5 })).toEqual([{ task: "unknown", key: "state:FAILURE", value: 1 }]);
    expect(metricDeltas({ task: "a", state: "STARTED", started_at: 1, date_done: null })).toEqual([]);
    expect(metricDeltas({ task: "a", state: "PROGRESS", started_at: 1, date_done: null })).toEqual([]);
  });

  it("puts runtimes in the first bucket whose bound holds them", () => {
    expect(bucketKey(0)).toBe("le:0.005");
    expect(bucketKey(0.005)).toBe("le:0.005");
    expect(bucketKey(0.0051)).toBe("le:0.01");
    expect(bucketKey(1800)).toBe("le:1800");
    expect(bucketKey(1800.5)).toBe("le:+Inf");
  });

  it("sums shards by task and key", () => {
    expect(sumMetrics([{ task: "a", key: "retries", value: 1 }, { task: "b", key: "retries", value: 2 }, { task: "a", key: "retries", value: 3 }])).toEqual([
      { task: "a", key: "retries", value: 4 },
      { task: "b", key: "retries", value: 2 },
    ]);
  });
});

describe("formatMetrics", () => {
  const rows = sumMetrics([
    ...metricDeltas({ task: "demo.add", state: "SUCCESS", started_at: 0, date_done: 20 }),
    ...metricDeltas({ task: "demo.add", state: "SUCCESS", started_at: 0, date_done: 2000 }),
    ...metricDeltas({ task: "demo.add", state: "FAILURE", started_at: 0, date_done: 4_000_000 }),
    ...metricDeltas({ task: "demo.add", state: "RETRY", started_at: null, date_done: null }),
  ]);
  const text = formatMetrics([queue("math", { waiting: 3, paused: true }), queue("default", { leased: 2 })], rows);
  const lines = text.split("\n");

  it("writes HELP and TYPE once per family, and ends with a newline", () => {
    for (const [name, type] of [["edgery_queue_messages", "gauge"], ["edgery_tasks_total", "counter"], ["edgery_task_runtime_seconds", "histogram"], ["edgery_task_retries_total", "counter"]]) {
      expect(lines.filter((l) => l === `# TYPE ${name} ${type}`)).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith(`# HELP ${name} `))).toHaveLength(1);
    }
    expect(text.endsWith("\n")).toBe(true);
  });

  it("lists queue lengths by queue (sorted) and state", () => {
    expect(lines).toContain('edgery_queue_messages{queue="default",state="leased"} 2');
    expect(lines).toContain('edgery_queue_messages{queue="math",state="waiting"} 3');
    expect(lines).toContain('edgery_queue_paused{queue="math"} 1');
    expect(lines.indexOf('edgery_queue_messages{queue="default",state="waiting"} 0')).toBeLessThan(lines.indexOf('edgery_queue_messages{queue="math",state="waiting"} 3'));
  });

  it("writes counters, a cumulative histogram ending in +Inf = _count, and retries", () => {
    expect(lines).toContain('edgery_tasks_total{task="demo.add",state="FAILURE"} 1');
    expect(lines).toContain('edgery_tasks_total{task="demo.add",state="SUCCESS"} 2');
    expect(lines).toContain('edgery_task_runtime_seconds_bucket{task="demo.add",le="0.01"} 0');
    expect(lines).toContain('edgery_task_runtime_seconds_bucket{task="demo.add",le="0.025"} 1');
    expect(lines).toContain('edgery_task_runtime_seconds_bucket{task="demo.add",le="2.5"} 2');
    expect(lines).toContain('edgery_task_runtime_seconds_bucket{task="demo.add",le="1800"} 2');
    expect(lines).toContain('edgery_task_runtime_seconds_bucket{task="demo.add",le="+Inf"} 3');
    expect(lines).toContain('edgery_task_runtime_seconds_count{task="demo.add"} 3');
    expect(lines).toContain('edgery_task_runtime_seconds_sum{task="demo.add"} 4002.02');
    expect(lines).toContain('edgery_task_retries_total{task="demo.add"} 1');
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(formatMetrics([], [{ task: 'x"y', key: "retries", value: 1 }])).toContain('edgery_task_retries_total{task="x\\"y"} 1');
  });
});

describe("boundTaskLabels", () => {
  const rules = {
    own: (t: string) => t === "demo.add" || t === "billing.exact",
    pattern: (t: string) => (t.startsWith("billing.") ? "billing.*" : undefined),
  };
  const success = (task: string, value = 1) => ({ task, key: "state:SUCCESS", value });

  it("keeps every label while at most MAX_TASK_LABELS names are not the app's own", () => {
    const rows = [success("demo.add"), ...Array.from({ length: MAX_TASK_LABELS }, (_, i) => success(`billing.n${i}`))];
    expect(boundTaskLabels(rows, rules)).toEqual(rows);
  });

  it("past the cap, folds every other name into its route's pattern or `other`; the app's own names and `unknown` keep theirs; no count is lost", () => {
    const rows = [
      success("demo.add", 3),
      success("billing.exact", 2),
      success(UNKNOWN_TASK),
      ...Array.from({ length: MAX_TASK_LABELS }, (_, i) => success(`billing.n${i}`)),
      success("nowhere.a"),
      { task: "nowhere.b", key: "retries", value: 4 },
    ];
    const bounded = boundTaskLabels(rows, rules);
    expect(new Set(bounded.map((r) => r.task))).toEqual(new Set(["demo.add", "billing.exact", UNKNOWN_TASK, "billing.*", OTHER_TASK]));
    expect(bounded).toContainEqual(success("billing.*", MAX_TASK_LABELS));
    expect(bounded).toContainEqual(success(OTHER_TASK, 1));
    expect(bounded).toContainEqual({ task: OTHER_TASK, key: "retries", value: 4 });
    expect(bounded).toContainEqual(success("demo.add", 3));
    const total = (rs: typeof rows) => rs.reduce((n, r) => n + r.value, 0);
    expect(total(bounded)).toBe(total(rows));
    // The exposition then has one series per label, however many names the pattern routed.
    const text = formatMetrics([], bounded);
    expect(text.match(/^edgery_tasks_total\{/gm)).toHaveLength(5);
  });
});
