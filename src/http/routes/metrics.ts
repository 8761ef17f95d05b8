/**
 * `GET /v1/metrics`: Prometheus text. Queue lengths come from every queue's stats; task counters
 * from the result shards, which keep them as they store results (summed here, on read).
 */
import type { Hono } from "hono";
import { DEFAULT_QUEUE, RESULT_SHARDS } from "../../protocol/index.js";
import { directoryStub, queueStub, resultShard } from "../../runtime/stubs.js";
import { PROMETHEUS_CONTENT_TYPE, formatMetrics } from "../../metrics/prometheus.js";
import { sumMetrics } from "../../metrics/task-metrics.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import { fulfilled } from "../../runtime/settled.js";

/** Registers the metrics route. */
export function metricsRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/metrics", need("read"), async (c) => {
    const known = await directoryStub(c.env).listQueues();
    const names = [...new Set([DEFAULT_QUEUE, ...c.get("app").routedQueues(), ...known])];
    const [settled, shards] = await Promise.all([
      Promise.allSettled(names.map((n) => queueStub(c.env, n).stats(n))),
      Promise.all(Array.from({ length: RESULT_SHARDS }, (_, i) => resultShard(c.env, i).metrics())),
    ]);
    // One failing queue must not hide every other: its gauges are left out.
    const queues = fulfilled(settled, (i, reason) => console.error(`edgery: stats of queue '${names[i]}' unavailable`, reason));
    return c.body(formatMetrics(queues, sumMetrics(shards.flat())), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}
