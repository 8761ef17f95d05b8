// Contract: Queue message limits (bytes as sent), far-future eta/countdown (422 with the option's
// path, never 5xx), and the queue setting `prefetch` (PUT /v1/queues/:name, shown in stats).
import { describe, expect, it } from "vitest";
import {
  api,
  describeRes,
  expectAllPending,
  expectError,
  group,
  pausedQueue,
  putQueue,
  queueStats,
  sig,
  uniqId,
  waitResult,
  type Handle,
} from "./helpers";

describe("Queue message size, counted in bytes as sent", () => {
  it("a bulk of 100 tasks with args [['ab'] * 150] (153 KB once escaped) all complete", async () => {
    const q = await pausedQueue();
    const list = Array(150).fill("ab");
    const res = await api<{ handles: Handle[] }>("POST", "/v1/apply/bulk", {
      signatures: Array.from({ length: 100 }, () => sig("demo.identity", [list], { queue: q })),
    });
    expect(res.status, describeRes(res)).toBe(202);
    await putQueue(q, { paused: false });
    for (const h of res.json.handles) {
      const r = await waitResult(h.id);
      expect(r.state).toBe("SUCCESS");
      expect(r.result).toStrictEqual(list);
    }
  });

  it("a task of 36,000 '\"' (144 KB once escaped) is refused at apply: 413, nothing enqueued", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    expectError(await api("POST", "/v1/tasks/demo.identity", { args: ['"'.repeat(36_000)], options: { queue: q, task_id: id } }), 413, "payload_too_large");
    await expectAllPending([id]);
    expect((await queueStats(q)).waiting).toBe(0);
  });
});

describe("far-future eta and countdown", () => {
  it.each([
    ["countdown 1e300", { countdown: 1e300 }, "options.countdown"],
    ["eta in the year 275760", { eta: "+275760-09-13T00:00:00.000Z" }, "options.eta"],
    ["eta in the year 2999", { eta: "2999-01-01T00:00:00Z" }, "options.eta"],
  ])("%s → 422 invalid_signature at the option's path; nothing enqueued", async (_name, options, path) => {
    const q = await pausedQueue();
    const id = uniqId();
    expectError(await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { ...options, queue: q, task_id: id } }), 422, "invalid_signature", path);
    await expectAllPending([id]);
    const s = await queueStats(q);
    expect([s.waiting, s.delayed]).toStrictEqual([0, 0]);
  });

  it("a group with one far-future member → 422 at that member's path; the other member never runs", async () => {
    const q = await pausedQueue();
    const [a, b] = [uniqId(), uniqId()];
    const body = group([sig("demo.add", [1, 1], { queue: q, task_id: a }), sig("demo.add", [2, 2], { queue: q, task_id: b, countdown: 1e300 })]);
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature", "kwargs.tasks.1.options.countdown");
    await putQueue(q, { paused: false });
    await expectAllPending([a, b]);
    const s = await queueStats(q);
    expect([s.waiting, s.delayed, s.leased]).toStrictEqual([0, 0, 0]);
  });

  it("ten years ahead is accepted (delayed), and can be revoked", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    const tenYears = 10 * 366 * 24 * 3600;
    const res = await api<Handle>("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, task_id: id, countdown: tenYears } });
    expect(res.status, describeRes(res)).toBe(202);
    expect((await queueStats(q)).delayed).toBe(1);
    const revoked = await api("POST", `/v1/results/${id}/revoke`, {});
    expect(revoked.status, describeRes(revoked)).toBeLessThan(300);
    expect((await waitResult(id)).state).toBe("REVOKED");
    expect((await queueStats(q)).delayed).toBe(0);
  });
});

describe("PUT /v1/queues/:name prefetch", () => {
  it("sets prefetch (1-100), stats show it, and the queue's tasks run with it", async () => {
    const q = await pausedQueue();
    expect((await queueStats(q)).prefetch).toBe(100);
    expect((await putQueue(q, { prefetch: 1 })).prefetch).toBe(1);
    expect((await queueStats(q)).prefetch).toBe(1);
    const res = await api<{ handles: Handle[] }>("POST", "/v1/apply/bulk", { signatures: [1, 2, 3].map((i) => sig("demo.add", [i, i], { queue: q })) });
    expect(res.status, describeRes(res)).toBe(202);
    await putQueue(q, { paused: false });
    const values = [];
    for (const h of res.json.handles) values.push((await waitResult(h.id)).result);
    expect(values).toStrictEqual([2, 4, 6]);
    expect((await putQueue(q, { prefetch: 100 })).prefetch).toBe(100);
  });

  it.each([
    ["0", 0],
    ["101", 101],
    ["1.5", 1.5],
    ["a string", "2"],
    ["null", null],
  ])("prefetch %s → 422 invalid_request at prefetch; the setting is unchanged", async (_name, prefetch) => {
    const q = await pausedQueue();
    await putQueue(q, { prefetch: 7 });
    expectError(await api("PUT", `/v1/queues/${q}`, { prefetch }), 422, "invalid_request", "prefetch");
    expect((await queueStats(q)).prefetch).toBe(7);
  });
});
