/**
 * The operations state kept in the Durable Objects: a QueueDO's dead letters (written with the
 * failing settle or alarm, not for retries or revocations), a ResultDO shard's task counters
 * (counted once per final result), and the EventsDO feed (shards forward while it listens; a
 * stream the client cancels is dropped).
 */
import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TaskMessage } from "../../src/protocol/message";
import { eventsStub, resultStub } from "../../src/runtime/stubs";
import type { DeadLetterEntry } from "../../src/protocol/rpc";
import { MAX_TASK_LABELS } from "../../src/protocol";
import { beginItem, failure, onlyLease, queue, result, sql, success, taskMessage, uid, until } from "./helpers";

const ALL = { at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };

async function deadLetters(q: string): Promise<DeadLetterEntry[]> {
  return (await queue(q).deadLetters(q, ALL, 100)) as unknown as DeadLetterEntry[];
}

async function leaseOne(task: string, over: Partial<TaskMessage> = {}) {
  const q = uid("q-ops");
  const m = taskMessage(q, task, over);
  await queue(q).enqueue([m]);
  const leased = await onlyLease(q);
  await queue(q).begin([beginItem(leased.lease!, m.id)]);
  return { q, m, lease: leased.lease! };
}

describe("QueueDO dead letters", () => {
  it("records a final FAILURE with the signature to replay it", async () => {
    const { q, m, lease } = await leaseOne("demo.fail", { args: ["x"], kwargs: { k: 1 }, priority: 4, options: { max_retries: 0 }, stamps: { s: 1 } });
    await queue(q).settle([failure(lease, m.id, "DemoError", "x")]);
    const letters = await deadLetters(q);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.item).toMatchObject({
      id: m.id,
      task: "demo.fail",
      queue: q,
      error: { type: "DemoError", message: "x" },
      signature: { task: "demo.fail", args: ["x"], kwargs: { k: 1 }, options: { queue: q, priority: 4, max_retries: 0, stamps: { s: 1 } } },
    });
    expect(await queue(q).deadLetter(q, m.id)).toMatchObject({ id: m.id });
    expect(await queue(q).deadLetter(q, "other")).toBeNull();
  });

  it("records nothing for a success, a retry or a revocation", async () => {
    const ok = await leaseOne("demo.noop");
    await queue(ok.q).settle([success(ok.lease, ok.m.id, 1)]);
    expect(await deadLetters(ok.q)).toEqual([]);

    const retry = await leaseOne("demo.retry_until");
    const now = Date.now();
    await queue(retry.q).settle([
      { lease: retry.lease, id: retry.m.id, outcome: { kind: "retry", countdownS: 60, error: { type: "Retry", message: "later" } }, worker: "itest", startedAt: now, doneAt: now, resultExpires: 3600 },
    ]);
    expect(await deadLetters(retry.q)).toEqual([]);

    const q = uid("q-ops-rev");
    await queue(q).configure(q, { paused: true });
    const m = taskMessage(q, "demo.noop");
    await queue(q).enqueue([m]);
    expect(await queue(q).revoke([m.id], false)).toEqual({ revoked: [m.id] });
    expect(await deadLetters(q)).toEqual([]);
  });

  it("records a task whose worker was lost (the alarm's FAILURE)", async () => {
    const { q, m } = await leaseOne("demo.noop");
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    await runDurableObjectAlarm(queue(q));
    const letters = await deadLetters(q);
    expect(letters.map((l) => [l.item.id, l.item.error.type])).toEqual([[m.id, "WorkerLostError"]]);
  });

  it("pages newest first below a bound", async () => {
    const q = uid("q-ops-page");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = taskMessage(q, "demo.fail");
      await queue(q).enqueue([m]);
      const leased = await onlyLease(q);
      await queue(q).begin([beginItem(leased.lease!, m.id)]);
      await queue(q).settle([failure(leased.lease!, m.id, "E", String(i))]);
      ids.push(m.id);
    }
    const all = await deadLetters(q);
    expect(all.map((l) => l.item.id)).toEqual([...ids].reverse());
    const last = all[0]!;
    const rest = (await queue(q).deadLetters(q, { at: last.failedAt, seq: last.seq }, 100)) as unknown as DeadLetterEntry[];
    expect(rest.map((l) => l.item.id)).toEqual([ids[1], ids[0]]);
  });
});

describe("ResultDO task counters", () => {
  it("counts a final state once, with its runtime, and each retry", async () => {
    const id = uid("metrics");
    const stub = resultStub(env, id);
    const task = uid("task");
    await stub.write([{ id, state: "RETRY", task }]);
    await stub.write([{ id, state: "RETRY", task }]);
    await stub.write([{ id, state: "SUCCESS", task, result: 1, started_at: 1000, date_done: 1250 }]);
    await stub.write([{ id, state: "SUCCESS", task, result: 2, started_at: 1000, date_done: 9000 }]);
    const mine = (await stub.metrics()).filter((r) => r.task === task).sort((a, b) => a.key.localeCompare(b.key));
    expect(mine).toEqual([
      { task, key: "le:0.25", value: 1 },
      { task, key: "retries", value: 2 },
      { task, key: "runtime_count", value: 1 },
      { task, key: "runtime_sum", value: 0.25 },
      { task, key: "state:SUCCESS", value: 1 },
    ]);
  });
});

describe("GET /v1/metrics task labels", () => {
  it("past MAX_TASK_LABELS names a route pattern accepts, they are counted under the pattern: the app's own names keep their label", async () => {
    const tag = uid("lbl").replace(/[^A-Za-z0-9]/g, "");
    // The demo app routes `direct.*` by pattern and registers demo.add.
    const names = Array.from({ length: MAX_TASK_LABELS + 5 }, (_, i) => `direct.${tag}n${i}`);
    expect(names.length).toBeGreaterThan(100);
    const ownId = uid("own");
    await resultStub(env, ownId).write([{ id: ownId, state: "SUCCESS", task: "demo.add", result: 1, started_at: 1000, date_done: 1001 }]);
    await Promise.all(names.map((task) => ({ id: uid("m"), task })).map(({ id, task }) => resultStub(env, id).write([{ id, state: "SUCCESS", task, result: 1, started_at: 1000, date_done: 1001 }])));
    const res = await SELF.fetch("https://edgery.test/v1/metrics", { headers: { authorization: "Bearer test-token" } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(`task="direct.${tag}`);
    const folded = /^edgery_tasks_total\{task="direct\.\*",state="SUCCESS"\} (\d+)$/m.exec(text);
    expect(folded, "no series for the pattern").not.toBeNull();
    expect(Number(folded![1])).toBeGreaterThanOrEqual(names.length);
    expect(text).toMatch(/^edgery_tasks_total\{task="demo\.add",state="SUCCESS"\} \d+$/m);
    const labels = new Set([...text.matchAll(/^edgery_tasks_total\{task="([^"]*)"/gm)].map((m) => m[1]));
    expect(labels.size).toBeLessThanOrEqual(MAX_TASK_LABELS);
  });
});

describe("EventsDO", () => {
  it("streams the changes a shard stores while it listens, and drops a cancelled stream", async () => {
    const events = eventsStub(env)!;
    const res = await events.fetch("https://edgery.internal/events");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(": connected")) text += (await reader.read()).value ?? "";
    expect(await events.subscriberCount()).toBe(1);

    const id = uid("ev");
    await resultStub(env, id).write([{ id, state: "SUCCESS", task: "demo.noop", result: 7 }]);
    while (!text.includes(`"id":"${id}"`)) text += (await reader.read()).value ?? "";
    expect(text).toContain("event: task-succeeded\ndata: ");
    const frame = text.slice(text.indexOf("event: task-succeeded"));
    expect(JSON.parse(frame.split("\n")[1]!.slice(6))).toMatchObject({ id, state: "SUCCESS", result: 7 });

    await reader.cancel();
    // The next publish finds the stream gone.
    await until(async () => {
      const other = uid("ev2");
      await events.publish([{ event: "task-started", data: { ...(await result(id))!, id: other } }]);
      return (await events.subscriberCount()) === 0 ? true : undefined;
    });
  });
});
