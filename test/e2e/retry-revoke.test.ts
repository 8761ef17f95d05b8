// Contract: retries (demo.retry_until, max_retries) and POST /v1/results/:id/revoke.
import { describe, expect, it } from "vitest";
import {
  api,
  apply,
  group,
  describeRes,
  getResult,
  pausedQueue,
  putQueue,
  queueStats,
  send,
  sig,
  sleep,
  uniqId,
  uniqQueue,
  waitQueue,
  waitResult,
} from "./helpers";

describe("retry", () => {
  it("demo.retry_until(3) retries itself, then succeeds with the number of retries", async () => {
    const h = await send("demo.retry_until", { args: [3] });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("SUCCESS");
    // "until attempt n, then returns the number of retries": attempt 3 has retried twice
    // (Celery's request.retries counts from 0); 3 is accepted for a 0-based attempt count.
    expect([2, 3]).toContain(r.result);
    expect(r.retries).toBe(r.result);
    expect(r.error).toBeNull();
  });

  it("demo.retry_until(1) succeeds at once with 0 retries", async () => {
    const h = await send("demo.retry_until", { args: [1] });
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    // Attempt 1 is the first run (1-based); a 0-based reading would retry once.
    expect([0, 1]).toContain(r.result);
    expect(r.retries).toBe(r.result);
  });

  it("more retries than max_retries → FAILURE MaxRetriesExceededError", async () => {
    const h = await send("demo.retry_until", { args: [5], options: { max_retries: 1 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("MaxRetriesExceededError");
    expect(r.retries).toBe(1);
  });

  it("max_retries 0 fails on the first retry", async () => {
    const h = await send("demo.retry_until", { args: [3], options: { max_retries: 0 } });
    const r = await waitResult(h.id);
    expect(r.state).toBe("FAILURE");
    expect(r.error?.type).toBe("MaxRetriesExceededError");
  });
});

describe("a task that retries itself at once, again and again", () => {
  it("leaves the server answering other requests meanwhile, and a revoke stops it (every request waited for the loop to end, and it began again after a restart)", async () => {
    const q = uniqQueue();
    const h = await send("demo.retry_until", { args: [2_000], options: { queue: q, max_retries: 10_000 } });
    await waitQueue(q, (s) => s.leased + s.delayed + s.waiting === 1);
    // Requests sent while it loops are answered before it ends (before the fix, each waited
    // for the whole loop, and the result read SUCCESS by then).
    expect((await api("GET", "/v1/health")).status).toBe(200);
    const during = await getResult(h.id);
    expect(["RETRY", "STARTED", "PENDING"]).toContain(during.state);
    const res = await api("POST", `/v1/results/${h.id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("REVOKED");
  });
});

describe("revoke", () => {
  it("a task waiting in a paused queue → REVOKED, and it never runs", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    await send("demo.identity", { args: ["should not run"], options: { queue: q, task_id: id } });
    const res = await api("POST", `/v1/results/${id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    expect(res.json).toMatchObject({ id, state: "REVOKED" });
    let r = await getResult(id);
    expect(r.state).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");

    await putQueue(q, { paused: false });
    const sentinel = await send("demo.identity", { args: ["sentinel"], options: { queue: q } });
    expect((await waitResult(sentinel.id)).result).toBe("sentinel");
    r = await getResult(id);
    expect(r.state).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
    expect(r.result).not.toBe("should not run");
    const s = await waitQueue(q, (x) => x.waiting === 0 && x.leased === 0);
    expect(s.completed).toBe(1); // the sentinel only
  });

  it("revoke without a body works the same", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    await send("demo.noop", { options: { queue: q, task_id: id } });
    const res = await api("POST", `/v1/results/${id}/revoke`);
    expect(res.status, describeRes(res)).toBe(202);
    expect(res.json).toMatchObject({ id, state: "REVOKED" });
  });

  it("terminate: a running demo.sleep(10000) → REVOKED, and stays so", async () => {
    const q = uniqQueue();
    const h = await send("demo.sleep", { args: [10_000], options: { queue: q } });
    await waitQueue(q, (s) => s.leased === 1);
    const res = await api("POST", `/v1/results/${h.id}/revoke`, { terminate: true });
    expect(res.status, describeRes(res)).toBe(202);
    expect(res.json.id).toBe(h.id);
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
    // After the sleep would have ended, its late result is dropped.
    await sleep(10_000);
    const later = await getResult(h.id);
    expect(later.state).toBe("REVOKED");
    expect(later.result).not.toBe(10_000);
  });

  it("revoking a finished task leaves its result alone", async () => {
    const h = await send("demo.identity", { args: ["done"] });
    expect((await waitResult(h.id)).state).toBe("SUCCESS");
    const res = await api("POST", `/v1/results/${h.id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    expect(res.json).toMatchObject({ id: h.id, state: "SUCCESS" });
    const r = await getResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe("done");
  });

  it("a group id revoked again reads REVOKED, as the first answer did (it answered PENDING once every member was revoked)", async () => {
    const q = await pausedQueue();
    const g = await apply(group([sig("demo.noop", [], { queue: q }), sig("demo.noop", [], { queue: q })]));
    const first = await api("POST", `/v1/results/${g.id}/revoke`, {});
    expect(first.json).toMatchObject({ id: g.id, state: "REVOKED" });
    const again = await api("POST", `/v1/results/${g.id}/revoke`, {});
    expect(again.status, describeRes(again)).toBe(202);
    expect(again.json).toMatchObject({ id: g.id, state: "REVOKED" });
    await putQueue(q, { paused: false });
  });

  it("a revoked waiting task is not counted as completed or failed", async () => {
    const q = await pausedQueue();
    const h = await send("demo.noop", { options: { queue: q } });
    await api("POST", `/v1/results/${h.id}/revoke`, {});
    await putQueue(q, { paused: false });
    expect((await waitResult(h.id)).state).toBe("REVOKED");
    const s = await queueStats(q);
    expect(s.completed).toBe(0);
    expect(s.failed).toBe(0);
  });

  it("an id revoked before it is applied, applied later to a queue never used, ends REVOKED and never runs", async () => {
    const id = uniqId();
    const res = await api("POST", `/v1/results/${id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    expect(res.json).toMatchObject({ id, state: "PENDING" });
    const q = uniqQueue();
    await send("demo.identity", { args: ["should not run"], options: { queue: q, task_id: id } });
    const r = await waitResult(id);
    expect(r.state, JSON.stringify(r)).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
    // The queue runs what else it is sent: the revoked one was never among it.
    const sentinel = await send("demo.identity", { args: ["sentinel"], options: { queue: q } });
    expect((await waitResult(sentinel.id)).result).toBe("sentinel");
    const s = await waitQueue(q, (x) => x.waiting === 0 && x.leased === 0);
    expect(s.completed).toBe(1); // the sentinel only
    expect((await getResult(id)).state).toBe("REVOKED");
  });

  it("a revoked task does not call its link_error errbacks (Celery's mark_as_revoked calls none); a chord's body errback still fires", async () => {
    const q = await pausedQueue();
    const ebQueue = uniqQueue();
    const [id, eb, bodyEb, member] = [uniqId(), uniqId(), uniqId(), uniqId()];
    const errback = (task_id: string) => sig("demo.echo", ["eb"], { task_id, queue: ebQueue });
    await send("demo.identity", { args: ["x"], options: { queue: q, task_id: id, link_error: [errback(eb)] } });
    await apply({
      task: "celery.chord",
      subtask_type: "chord",
      kwargs: { header: [sig("demo.identity", [1], { queue: q, task_id: member }), sig("demo.identity", [2])], body: sig("demo.xsum") },
      options: { link_error: [errback(bodyEb)] },
    });
    expect((await api("POST", `/v1/results/${id}/revoke`, {})).status).toBe(202);
    expect((await api("POST", `/v1/results/${member}/revoke`, {})).status).toBe(202);
    // The chord's body fails with ChordError and its errback runs (as Celery's chord_error_from_stack).
    expect((await waitResult(bodyEb)).result.args[1]).toMatchObject({ type: "ChordError" });
    await putQueue(q, { paused: false });
    const sentinel = await send("demo.identity", { args: ["sentinel"], options: { queue: ebQueue } });
    expect((await waitResult(sentinel.id)).result).toBe("sentinel");
    expect((await getResult(id)).state).toBe("REVOKED");
    // Was SUCCESS: the revoked task's own errback ran with (request, TaskRevokedError).
    expect((await getResult(eb)).state).toBe("PENDING");
    const stats = await waitQueue(ebQueue, (x) => x.waiting === 0 && x.leased === 0);
    expect(stats.completed).toBe(2); // the chord body's errback and the sentinel
  });

  it("a chain's second step, routed to a queue not used yet and revoked while the first step waits, ends REVOKED and never runs", async () => {
    const first = await pausedQueue();
    const second = uniqQueue();
    const res = await api("POST", "/v1/apply", {
      task: "celery.chain",
      subtask_type: "chain",
      kwargs: { tasks: [sig("demo.add", [2, 2], { queue: first }), sig("demo.mul", [10], { queue: second })] },
    });
    expect(res.status, describeRes(res)).toBe(202);
    const stepTwo: string = res.json.id;
    const stepOne: string = res.json.parent.id;
    expect((await api("POST", `/v1/results/${stepTwo}/revoke`, {})).status).toBe(202);
    await putQueue(first, { paused: false });
    expect(await waitResult(stepOne)).toMatchObject({ state: "SUCCESS", result: 4 });
    const r = await waitResult(stepTwo);
    expect(r.state, JSON.stringify(r)).toBe("REVOKED");
    expect(r.result).not.toBe(40);
    const sentinel = await send("demo.identity", { args: ["sentinel"], options: { queue: second } });
    expect((await waitResult(sentinel.id)).result).toBe("sentinel");
    const s = await waitQueue(second, (x) => x.waiting === 0 && x.leased === 0);
    expect(s.completed).toBe(1); // the sentinel only
  });
});
