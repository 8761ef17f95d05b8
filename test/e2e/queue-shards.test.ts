// Queue sharding over HTTP: the demo app spreads queue "sharded" over 4 QueueDO shards. Its
// stats, pause, resume and purge cover every shard; the metrics count each shard's requests.
import { describe, expect, it } from "vitest";
import { api, describeRes, putQueue, queueStats, send, waitQueue, waitResult } from "./helpers";

const Q = "sharded";

describe("a sharded queue", () => {
  it("pause holds tasks in every shard; stats sum them; resume runs them all; purge drops every shard's waiting ones", async () => {
    const paused = await putQueue(Q, { paused: true });
    expect(paused).toMatchObject({ name: Q, paused: true, shards: 4 });
    const before = await queueStats(Q);
    const handles = await Promise.all(Array.from({ length: 24 }, (_, i) => send("demo.add", { args: [i, 1], options: { queue: Q } })));
    // Paused: nothing runs, in any shard.
    expect(await queueStats(Q)).toMatchObject({ waiting: before.waiting + 24, leased: 0, paused: true, shards: 4 });
    expect(await putQueue(Q, { paused: false })).toMatchObject({ paused: false });
    for (const [i, h] of handles.entries()) expect(await waitResult(h.id)).toMatchObject({ state: "SUCCESS", result: i + 1, queue: Q });
    await waitQueue(Q, (s) => s.completed >= before.completed + 24 && s.waiting === 0 && s.leased === 0);

    await putQueue(Q, { paused: true });
    await Promise.all(Array.from({ length: 16 }, () => send("demo.noop", { options: { queue: Q } })));
    const purged = await api<{ purged: number }>("DELETE", `/v1/queues/${Q}/messages`);
    expect(purged.status, describeRes(purged)).toBe(200);
    expect(purged.json.purged).toBe(16);
    expect(await queueStats(Q)).toMatchObject({ waiting: 0, paused: true });
    await putQueue(Q, { paused: false });
  });

  it("is listed with its shard count, and the metrics count every shard's requests", async () => {
    const list = await api<{ queues: Array<{ name: string; shards?: number }> }>("GET", "/v1/queues");
    expect(list.json.queues.find((q) => q.name === Q)).toMatchObject({ shards: 4 });
    const metrics = await api("GET", "/v1/metrics");
    expect(metrics.status).toBe(200);
    const text = metrics.text as string;
    for (const object of [Q, `${Q}#1`, `${Q}#2`, `${Q}#3`]) expect(text).toMatch(new RegExp(`^edgery_object_requests_total\\{class="QueueDO",object="${object.replace("#", "\\#")}"\\} \\d+$`, "m"));
    expect(text).toMatch(/^edgery_object_requests_total\{class="ResultDO",object="shard-0"\} \d+$/m);
  });
});
