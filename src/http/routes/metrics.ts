/**
 * `GET /v1/metrics`: Prometheus text. Queue lengths come from every queue's stats where the
 * queue is (all its shards; another app's queue from that app); task counters from the result shards, which keep them as they store results (summed
 * here, on read, with the task label bounded: src/metrics/task-labels.ts); and the requests each
 * queue shard, result shard and the directory took.
 */
import type { Hono } from "hono";
import { DEFAULT_QUEUE } from "../../protocol/index.js";
import { allResultShards, directoryStub } from "../../runtime/stubs.js";
import { brokerOfQueue, queueStatsOf, registryOf } from "../../brokers/registry.js";
import { PROMETHEUS_CONTENT_TYPE, formatMetrics, type ObjectRequests } from "../../metrics/prometheus.js";
import { sumMetrics } from "../../metrics/task-metrics.js";
import { boundTaskLabels, type TaskLabelRules } from "../../metrics/task-labels.js";
import type { App } from "../../app/app.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import { fulfilled } from "../../runtime/settled.js";

/** What the app names itself (registered tasks, exact routes) and its route patterns, for the task label. */
function taskLabelRules(app: App): TaskLabelRules {
  const own = new Set([...app.names(), ...app.routes.exact.keys()]);
  return {
    own: (task) => own.has(task),
    pattern: (task) => app.routes.patterns.find((p) => p.regex.test(task))?.pattern,
  };
}

/** Registers the metrics route. */
export function metricsRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/metrics", need("read"), async (c) => {
    const known = await directoryStub(c.env).listQueues();
    const names = [...new Set([DEFAULT_QUEUE, ...c.get("app").routedQueues(), ...known])];
    const app = c.get("app");
    const queues = registryOf(c.env, app).default;
    // The request counts are of this app's own QueueDOs: another app's queue is not here.
    const own = names.filter((n) => brokerOfQueue(c.env, app, n) === queues);
    const results = allResultShards(c.env);
    const [settled, shards, counted, resultCounts, directoryCount] = await Promise.all([
      Promise.allSettled(names.map((n) => queueStatsOf(c.env, app, n))),
      Promise.all(results.map((r) => r.metrics())),
      Promise.allSettled(own.map((n) => queues.shardRequests(n))),
      Promise.all(results.map((r) => r.requestCount())),
      directoryStub(c.env).requestCount(),
    ]);
    // One failing queue must not hide every other: its gauges are left out.
    const stats = fulfilled(settled, (i, reason) => console.error(`edgery: stats of queue '${names[i]}' unavailable`, reason));
    const objects: ObjectRequests[] = [
      ...fulfilled(counted, () => undefined).flat().map((o) => ({ class: "QueueDO", ...o })),
      ...resultCounts.map((requests, i) => ({ class: "ResultDO", object: `shard-${i}`, requests })),
      { class: "DirectoryDO", object: "queues", requests: directoryCount },
    ];
    return c.body(formatMetrics(stats, boundTaskLabels(sumMetrics(shards.flat()), taskLabelRules(app)), objects), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}
