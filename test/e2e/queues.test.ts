// Contract: the queue routes and stats, purge, priority order (9 first, FIFO within one
// priority), countdown/eta (`delayed`), expires, and the completed/failed counters.
import { describe, expect, it } from "vitest";
import {
  api,
  describeRes,
  getResult,
  pausedQueue,
  putQueue,
  queueStats,
  send,
  uniqId,
  uniqQueue,
  waitQueue,
  waitResult,
  sleep,
  type QueueStats,
  type Result,
} from "./helpers";

function expectStatsShape(s: QueueStats) {
  expect(s.name).toBeTypeOf("string");
  for (const k of ["waiting", "delayed", "leased", "concurrency", "completed", "failed"] as const) {
    expect(Number.isInteger(s[k]), `${k}: ${JSON.stringify(s)}`).toBe(true);
    expect(s[k]).toBeGreaterThanOrEqual(0);
  }
  expect(s.paused).toBeTypeOf("boolean");
  expect(s.concurrency).toBeGreaterThanOrEqual(1);
}

describe("queue routes", () => {
  it("GET /v1/queues/default answers stats", async () => {
    const s = await queueStats("default");
    expect(s.name).toBe("default");
    expectStatsShape(s);
  });

  it("GET /v1/queues lists queues, a newly configured one included", async () => {
    const q = await pausedQueue(3);
    const res = await api<{ queues: QueueStats[] }>("GET", "/v1/queues");
    expect(res.status, describeRes(res)).toBe(200);
    expect(Array.isArray(res.json.queues)).toBe(true);
    for (const s of res.json.queues) expectStatsShape(s);
    const mine = res.json.queues.find((s) => s.name === q);
    expect(mine, JSON.stringify(res.json.queues.map((s) => s.name))).toBeDefined();
    expect(mine).toMatchObject({ name: q, paused: true, concurrency: 3 });
  });

  it("a queue used by a task appears in the list", async () => {
    const q = uniqQueue();
    const h = await send("demo.noop", { options: { queue: q } });
    await waitResult(h.id);
    const res = await api<{ queues: QueueStats[] }>("GET", "/v1/queues");
    expect(res.json.queues.map((s) => s.name)).toContain(q);
  });

  it("PUT /v1/queues/:name sets concurrency and paused, and answers the stats", async () => {
    const q = uniqQueue();
    const a = await putQueue(q, { concurrency: 3, paused: true });
    expectStatsShape(a);
    expect(a).toMatchObject({ name: q, concurrency: 3, paused: true, waiting: 0, delayed: 0, leased: 0, completed: 0, failed: 0 });
    expect(await queueStats(q)).toMatchObject({ concurrency: 3, paused: true });
    // Fields are optional: changing one keeps the other.
    const b = await putQueue(q, { paused: false });
    expect(b).toMatchObject({ concurrency: 3, paused: false });
    const c = await putQueue(q, { concurrency: 7 });
    expect(c).toMatchObject({ concurrency: 7, paused: false });
    expect(await putQueue(q, {})).toMatchObject({ concurrency: 7, paused: false });
  });

  it("a paused queue holds messages as waiting; unpausing runs them", async () => {
    const q = await pausedQueue();
    const ids = [uniqId(), uniqId(), uniqId()];
    for (const task_id of ids) await send("demo.identity", { args: [task_id], options: { queue: q, task_id } });
    const s = await queueStats(q);
    expect(s.waiting).toBe(3);
    expect(s.delayed).toBe(0);
    for (const id of ids) expect((await getResult(id)).state).toBe("PENDING");
    await putQueue(q, { paused: false });
    for (const id of ids) expect((await waitResult(id)).result).toBe(id);
    const after = await waitQueue(q, (x) => x.completed === 3);
    expect(after).toMatchObject({ waiting: 0, delayed: 0, leased: 0, completed: 3, failed: 0 });
  });
});

describe("purge", () => {
  it("drops waiting messages only and returns their count", async () => {
    const q = await pausedQueue(1);
    const waiting = [uniqId(), uniqId(), uniqId(), uniqId(), uniqId()];
    for (const task_id of waiting) await send("demo.identity", { args: [1], options: { queue: q, task_id } });
    for (let i = 0; i < 2; i++) await send("demo.identity", { args: [2], options: { queue: q, countdown: 600 } });
    expect(await queueStats(q)).toMatchObject({ waiting: 5, delayed: 2 });

    const res = await api<{ purged: number }>("DELETE", `/v1/queues/${q}/messages`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toEqual({ purged: 5 });
    expect((await queueStats(q)).waiting).toBe(0);

    // Purged tasks never run: a task sent after them runs, they stay PENDING.
    await putQueue(q, { paused: false });
    const sentinel = await send("demo.identity", { args: ["sentinel"], options: { queue: q } });
    expect((await waitResult(sentinel.id)).result).toBe("sentinel");
    for (const id of waiting) expect((await getResult(id)).state).toBe("PENDING");
  });

  it("leaves leased (running) messages untouched", async () => {
    const q = uniqQueue();
    const running = await send("demo.sleep", { args: [3000], options: { queue: q } });
    await waitQueue(q, (s) => s.leased === 1);
    const res = await api<{ purged: number }>("DELETE", `/v1/queues/${q}/messages`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toEqual({ purged: 0 });
    const r = await waitResult(running.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(3000);
  });

  it("of an empty queue purges 0", async () => {
    const q = await pausedQueue();
    const res = await api("DELETE", `/v1/queues/${q}/messages`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toEqual({ purged: 0 });
  });

  it("of a queue never used purges 0 and does not list it (it did)", async () => {
    const q = uniqQueue();
    const res = await api<{ purged: number }>("DELETE", `/v1/queues/${q}/messages`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toEqual({ purged: 0 });
    const listed = await api<{ queues: Array<{ name: string }> }>("GET", "/v1/queues");
    expect(listed.json.queues.map((x) => x.name)).not.toContain(q);
  });
});

describe("priority", () => {
  it("runs the most urgent first (9 before 0), FIFO within one priority", async () => {
    const q = await pausedQueue(1);
    // [label, priority] in sending order.
    const plan: Array<[string, number]> = [
      ["a", 0], ["b", 5], ["c", 9], ["d", 5], ["e", 0],
      ["f", 9], ["g", 3], ["h", 7], ["i", 0], ["j", 3],
    ];
    const ids = new Map<string, string>();
    for (const [label, priority] of plan) {
      const task_id = uniqId();
      ids.set(label, task_id);
      // demo.sleep keeps each task's timestamps apart (concurrency 1: one at a time).
      await send("demo.sleep", { args: [20], options: { queue: q, priority, task_id } });
    }
    expect((await queueStats(q)).waiting).toBe(plan.length);
    await putQueue(q, { paused: false });
    const results: Array<[string, Result]> = [];
    for (const [label] of plan) results.push([label, await waitResult(ids.get(label)!)]);
    for (const [, r] of results) expect(r.state).toBe("SUCCESS");
    const ran = [...results]
      .sort(([, x], [, y]) => Date.parse(x.started_at!) - Date.parse(y.started_at!) || Date.parse(x.date_done!) - Date.parse(y.date_done!))
      .map(([label]) => label);
    expect(ran.join("")).toBe("cfhbdgjaei");
  });

  it("demo.request sees the priority it was sent with", async () => {
    const h = await send("demo.request", { options: { priority: 9 } });
    expect((await waitResult(h.id)).result.priority).toBe(9);
  });
});

describe("countdown, eta, expires", () => {
  it("a countdown message is delayed, not waiting, and runs after a message sent without one", async () => {
    const q = await pausedQueue(1);
    const later = await send("demo.identity", { args: ["later"], options: { queue: q, countdown: 4 } });
    const now = await send("demo.identity", { args: ["now"], options: { queue: q } });
    expect(await queueStats(q)).toMatchObject({ waiting: 1, delayed: 1 });
    expect((await getResult(later.id)).state).toBe("PENDING");
    await putQueue(q, { paused: false });
    const rNow = await waitResult(now.id);
    const rLater = await waitResult(later.id);
    expect(rLater.state).toBe("SUCCESS");
    expect(rLater.result).toBe("later");
    expect(Date.parse(rLater.started_at!)).toBeGreaterThanOrEqual(Date.parse(rNow.date_done!));
    expect(await waitQueue(q, (s) => s.completed === 2)).toMatchObject({ waiting: 0, delayed: 0 });
  });

  it("a countdown message is counted as delayed even in a running queue", async () => {
    const q = uniqQueue();
    const h = await send("demo.identity", { args: ["x"], options: { queue: q, countdown: 5 } });
    expect(await queueStats(q)).toMatchObject({ waiting: 0, delayed: 1 });
    expect((await waitResult(h.id)).result).toBe("x");
    expect(await waitQueue(q, (s) => s.completed === 1)).toMatchObject({ delayed: 0 });
  });

  it("an eta in the future is delayed, not waiting, and runs after", async () => {
    const q = await pausedQueue(1);
    const eta = new Date(Date.now() + 4000).toISOString();
    const later = await send("demo.identity", { args: ["eta"], options: { queue: q, eta } });
    const now = await send("demo.identity", { args: ["now"], options: { queue: q } });
    expect(await queueStats(q)).toMatchObject({ waiting: 1, delayed: 1 });
    await putQueue(q, { paused: false });
    const rNow = await waitResult(now.id);
    const rLater = await waitResult(later.id);
    expect(rLater.result).toBe("eta");
    expect(Date.parse(rLater.started_at!)).toBeGreaterThanOrEqual(Date.parse(rNow.date_done!));
  });

  it("an eta in the past runs like a message without one", async () => {
    const h = await send("demo.identity", { args: ["past"], options: { eta: new Date(Date.now() - 60_000).toISOString() } });
    expect((await waitResult(h.id)).result).toBe("past");
  });

  it("expires already past (ISO-8601) → accepted, ends REVOKED with TaskRevokedError", async () => {
    const q = uniqQueue();
    const expires = new Date(Date.now() - 60_000).toISOString();
    const res = await api("POST", "/v1/tasks/demo.identity", { args: [1], options: { queue: q, expires } });
    expect(res.status, describeRes(res)).toBe(202);
    const r = await waitResult(res.json.id);
    expect(r.state).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
  });

  it("expires (seconds) that passes while the message waits → REVOKED, never runs", async () => {
    const q = await pausedQueue();
    const h = await send("demo.identity", { args: [1], options: { queue: q, expires: 1 } });
    await sleep(2500);
    await putQueue(q, { paused: false });
    const r = await waitResult(h.id);
    expect(r.state).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
    const s = await queueStats(q);
    expect(s.completed).toBe(0);
  });

  it("expires in the future does not stop a task that runs in time", async () => {
    const h = await send("demo.identity", { args: ["ok"], options: { expires: 300 } });
    expect((await waitResult(h.id)).result).toBe("ok");
  });
});

describe("counters", () => {
  it("completed counts SUCCESS and failed counts FAILURE since the queue was created", async () => {
    const q = uniqQueue();
    const ok = await Promise.all([1, 2, 3].map((i) => send("demo.identity", { args: [i], options: { queue: q } })));
    const bad = await Promise.all(["x", "y"].map((m) => send("demo.fail", { args: [m], options: { queue: q } })));
    for (const h of ok) expect((await waitResult(h.id)).state).toBe("SUCCESS");
    for (const h of bad) expect((await waitResult(h.id)).state).toBe("FAILURE");
    const s = await waitQueue(q, (x) => x.completed + x.failed >= 5);
    expect(s).toMatchObject({ name: q, completed: 3, failed: 2, waiting: 0, delayed: 0, leased: 0 });
  });
});
