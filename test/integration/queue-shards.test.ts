/**
 * Queue sharding: a queue spread over N QueueDO shards (the app's `queues: { q: { shards } }`).
 * Sends go to the shard their id hashes to; a delivery names the object that leased it, so begin
 * and settle go straight there; concurrency and max_waiting are split; stats, pause, purge and
 * revoke cover every shard; a queue that grows from 1 to 4 shards keeps its old tasks working.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/demo/worker";
import { DurableObjectBroker } from "../../src/brokers/durable-object-broker";
import { QueueFullError } from "../../src/brokers/broker";
import { queueShardName, queueShardOf, queueShardStub } from "../../src/runtime/stubs";
import type { DeliveryBody } from "../../src/protocol/message";
import { MAX_QUEUE_SHARDS } from "../../src/protocol/constants";
import type { MessageRow } from "../../durable-objects/queue-schema";
import { result, taskMessage, uid, until } from "./helpers";

/** A broker that sees every queue with `shards` shards (as an app configured so would). */
function broker(shards: number) {
  return new DurableObjectBroker(env, () => ({ shards }));
}

function shardStub(q: string, k: number) {
  return queueShardStub(env, q, k, { shards: 1 });
}

/** Every message row of one shard, after its pump went idle. */
async function shardRows(q: string, k: number): Promise<MessageRow[]> {
  const stub = shardStub(q, k);
  await stub.drain();
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq").toArray());
}

/** Records what each shard sends to the Queue (nobody consumes the test's TASKS queue anyway). */
async function recordSends(q: string, shards: number): Promise<DeliveryBody[]> {
  const sent: DeliveryBody[] = [];
  for (let k = 0; k < shards; k++) {
    await runInDurableObject(shardStub(q, k), (instance) => {
      (instance as unknown as { env: { TASKS: unknown } }).env.TASKS = {
        async sendBatch(messages: Array<{ body: DeliveryBody }>) {
          sent.push(...messages.map((m) => structuredClone(m.body)));
        },
      };
    });
  }
  return sent;
}

/** Runs one delivery through the Worker's queue handler. */
async function deliver(body: DeliveryBody): Promise<void> {
  const batch = createMessageBatch<DeliveryBody>("edgery-tasks", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await worker.queue!(batch, env, ctx);
  await getQueueResult(batch, ctx);
}

describe("queue shards", () => {
  it("names shard 0 after the queue and the others <queue>#<k>; a task's shard is its id's hash", () => {
    expect([0, 1, 15].map((k) => queueShardName("mail", k))).toStrictEqual(["mail", "mail#1", "mail#15"]);
    expect(queueShardOf("any-id", 1)).toBe(0);
    const ids = Array.from({ length: 200 }, () => crypto.randomUUID());
    const used = new Set(ids.map((id) => queueShardOf(id, 4)));
    expect([...used].sort()).toStrictEqual([0, 1, 2, 3]);
    for (const id of ids) expect(queueShardOf(id, 4)).toBe(queueShardOf(id, 4));
  });

  it("spreads sends by task id: each shard holds exactly the ids that hash to it; stats sum them", async () => {
    const q = uid("q-shards");
    const b = broker(4);
    await b.configure(q, { paused: true });
    const msgs = Array.from({ length: 40 }, () => taskMessage(q, "demo.noop"));
    expect(await b.enqueue(msgs)).toStrictEqual({ added: 40 });
    for (let k = 0; k < 4; k++) {
      const held = (await shardRows(q, k)).map((r) => r.id).sort();
      const expected = msgs.filter((m) => queueShardOf(m.id, 4) === k).map((m) => m.id).sort();
      expect(held).toStrictEqual(expected);
      expect(held.length).toBeGreaterThan(0);
    }
    expect(await b.stats(q)).toMatchObject({ name: q, waiting: 40, leased: 0, paused: true, shards: 4 });
    // Sending the same ids again adds nothing (enqueue is by id, in the same shard), and names
    // them as skipped: they are an earlier send's, not this one's to take back.
    const again = (await b.enqueue(msgs)) as { added: number; skipped: string[] };
    expect(again.added).toBe(0);
    expect([...again.skipped].sort()).toStrictEqual(msgs.map((m) => m.id).sort());
  });

  it("splits concurrency over the shards: each leases at most ceil(concurrency / N)", async () => {
    const q = uid("q-shard-window");
    const b = broker(4);
    await b.configure(q, { paused: true, concurrency: 4 });
    await recordSends(q, 4);
    await b.enqueue(Array.from({ length: 40 }, () => taskMessage(q, "demo.noop")));
    await b.configure(q, { paused: false });
    const per = await Promise.all([0, 1, 2, 3].map(async (k) => (await shardRows(q, k)).filter((r) => r.state === "leased").length));
    expect(per).toStrictEqual([1, 1, 1, 1]);
    const stats = await b.stats(q);
    expect(stats).toMatchObject({ leased: 4, waiting: 36, concurrency: 4, shards: 4 });
  });

  it("splits max_waiting over the shards: a full shard refuses, and the broker throws QueueFullError", async () => {
    const q = uid("q-shard-full");
    const b = broker(2);
    await b.configure(q, { paused: true, max_waiting: 4 });
    // Two ids of shard 0 fit its half (2); a third is refused.
    const ids: string[] = [];
    while (ids.length < 3) {
      const id = crypto.randomUUID();
      if (queueShardOf(id, 2) === 0) ids.push(id);
    }
    await b.enqueue(ids.slice(0, 2).map((id) => taskMessage(q, "demo.noop", { id })));
    await expect(b.enqueue([taskMessage(q, "demo.noop", { id: ids[2]! })])).rejects.toBeInstanceOf(QueueFullError);
  });

  it("a delivery names the shard that leased it; the consumer begins and settles there", async () => {
    const q = uid("q-shard-settle");
    const b = broker(4);
    await b.configure(q, { paused: true });
    const sent = await recordSends(q, 4);
    const msgs = Array.from({ length: 12 }, (_, i) => taskMessage(q, "demo.add", { args: [i, 1] }));
    await b.enqueue(msgs);
    await b.configure(q, { paused: false });
    await Promise.all([0, 1, 2, 3].map((k) => shardStub(q, k).drain()));
    expect(sent.flatMap((d) => d.tasks)).toHaveLength(12);
    for (const d of sent) {
      const ids = d.tasks.map((t) => (JSON.parse(t.body) as { id: string }).id);
      const k = queueShardOf(ids[0]!, 4);
      expect(d.object).toBe(env.QUEUE_DO.idFromName(queueShardName(q, k)).toString());
      for (const id of ids) expect(queueShardOf(id, 4)).toBe(k);
    }
    for (const d of sent) await deliver(d);
    for (const [i, m] of msgs.entries()) expect(await result(m.id, queueShardName(q, queueShardOf(m.id, 4)))).toMatchObject({ state: "SUCCESS", result: i + 1 });
    expect(await b.stats(q)).toMatchObject({ completed: 12, leased: 0, waiting: 0 });
  });

  it("pause, purge and revoke cover every shard", async () => {
    const q = uid("q-shard-admin");
    const b = broker(4);
    const paused = await b.configure(q, { paused: true });
    expect(paused).toMatchObject({ paused: true, shards: 4 });
    for (let k = 0; k < 4; k++) expect((await shardStub(q, k).stats(q)).paused).toBe(true);
    const msgs = Array.from({ length: 20 }, () => taskMessage(q, "demo.noop"));
    await b.enqueue(msgs);
    // Revoke: each id ends in whichever shard holds it.
    const revoke = msgs.slice(0, 6).map((m) => m.id);
    expect((await b.revoke(q, revoke, false)).revoked.sort()).toStrictEqual([...revoke].sort());
    expect(await result(revoke[0]!, queueShardName(q, queueShardOf(revoke[0]!, 4)))).toMatchObject({ state: "REVOKED" });
    expect((await b.stats(q)).waiting).toBe(14);
    expect(await b.purge(q)).toStrictEqual({ purged: 14 });
    expect(await b.stats(q)).toMatchObject({ waiting: 0, paused: true });
    // A revoked id sent again later is dropped by its shard.
    expect(await b.enqueue([msgs[0]!])).toStrictEqual({ added: 0 });
  });

  it("a queue at the most shards (MAX_QUEUE_SHARDS, 1024): sends spread over them; pause, stats and purge reach every one", async () => {
    const q = uid("q-shard-max");
    const b = broker(MAX_QUEUE_SHARDS);
    expect(MAX_QUEUE_SHARDS).toBe(1024);
    expect(await b.configure(q, { paused: true })).toMatchObject({ paused: true, shards: MAX_QUEUE_SHARDS });
    expect((await shardStub(q, MAX_QUEUE_SHARDS - 1).stats(q)).paused).toBe(true);
    const msgs = Array.from({ length: 3000 }, () => taskMessage(q, "demo.noop"));
    expect(await b.enqueue(msgs)).toStrictEqual({ added: 3000 });
    const used = new Set(msgs.map((m) => queueShardOf(m.id, MAX_QUEUE_SHARDS)));
    // 3,000 ids over 1,024 shards leave about 55 empty: the hash reaches nearly all of them.
    expect(used.size).toBeGreaterThan(900);
    const last = msgs.find((m) => queueShardOf(m.id, MAX_QUEUE_SHARDS) === Math.max(...used))!;
    expect((await shardRows(q, Math.max(...used))).map((r) => r.id)).toContain(last.id);
    expect(await b.stats(q)).toMatchObject({ waiting: 3000, shards: MAX_QUEUE_SHARDS });
    expect(await b.purge(q)).toStrictEqual({ purged: 3000 });
    expect((await b.stats(q)).waiting).toBe(0);
  }, 300_000);

  it("a queue grown from 1 to 4 shards keeps its old tasks: stats, revoke and delivery reach them in shard 0", async () => {
    const q = uid("q-shard-grow");
    const one = broker(1);
    await one.configure(q, { paused: true });
    const old = Array.from({ length: 8 }, (_, i) => taskMessage(q, "demo.add", { args: [i, 100] }));
    await one.enqueue(old);
    const four = broker(4);
    // Raising the shard count and sending again: the old tasks stay where they are (shard 0).
    const fresh = Array.from({ length: 8 }, (_, i) => taskMessage(q, "demo.add", { args: [i, 200] }));
    await four.configure(q, { paused: true });
    await four.enqueue(fresh);
    expect((await shardRows(q, 0)).filter((r) => old.some((m) => m.id === r.id))).toHaveLength(8);
    expect(await four.stats(q)).toMatchObject({ waiting: 16, shards: 4 });
    // An old task whose id now hashes elsewhere is still revoked (every shard is asked).
    const moved = old.find((m) => queueShardOf(m.id, 4) !== 0)!;
    expect((await four.revoke(q, [moved.id], false)).revoked).toStrictEqual([moved.id]);
    const sent = await recordSends(q, 4);
    await four.configure(q, { paused: false });
    await Promise.all([0, 1, 2, 3].map((k) => shardStub(q, k).drain()));
    for (const d of sent) await deliver(d);
    const live = [...old.filter((m) => m !== moved), ...fresh];
    await until(async () => ((await four.stats(q)).completed === live.length ? true : undefined));
    for (const m of old.filter((x) => x !== moved)) expect(await result(m.id)).toMatchObject({ state: "SUCCESS", result: (m.args[0] as number) + 100 });
    expect(await four.stats(q)).toMatchObject({ waiting: 0, leased: 0, completed: 15 });
  });

  it("a queue lowered from 4 to 2 shards keeps reaching the dropped ones: stats, resume, revoke and purge cover their tasks (they were stranded, paused for good)", async () => {
    const q = uid("q-shard-shrink");
    const four = broker(4);
    await four.configure(q, { paused: true });
    const msgs = Array.from({ length: 40 }, (_, i) => taskMessage(q, "demo.add", { args: [i, 1] }));
    await four.enqueue(msgs);
    const dropped = msgs.filter((m) => queueShardOf(m.id, 4) >= 2);
    expect(dropped.length).toBeGreaterThan(0);
    // A deploy lowers the queue to 2 shards: shard 0 remembers it had 4.
    const two = broker(2);
    await two.configure(q, { paused: true });
    expect(await shardStub(q, 0).shardsSeen()).toBe(4);
    expect(await two.stats(q)).toMatchObject({ waiting: 40, paused: true });
    // Revoke reaches a task of a dropped shard.
    const gone = dropped[0]!;
    expect((await two.revoke(q, [gone.id], false)).revoked).toStrictEqual([gone.id]);
    // Resume reaches the dropped shards: their tasks are dispatched and run.
    const sent = await recordSends(q, 4);
    await two.configure(q, { paused: false });
    for (let k = 0; k < 4; k++) expect((await shardStub(q, k).stats(q)).paused).toBe(false);
    await Promise.all([0, 1, 2, 3].map((k) => shardStub(q, k).drain()));
    for (const d of sent) await deliver(d);
    await until(async () => ((await two.stats(q)).completed === 39 ? true : undefined));
    for (const m of dropped.slice(1)) expect(await result(m.id)).toMatchObject({ state: "SUCCESS", result: (m.args[0] as number) + 1 });
    // Purge reaches them too.
    await two.configure(q, { paused: true });
    const more = Array.from({ length: 12 }, () => taskMessage(q, "demo.noop"));
    await four.enqueue(more);
    expect(await two.purge(q)).toStrictEqual({ purged: 12 });
  });

  it("counts the requests each shard takes", async () => {
    const q = uid("q-shard-count");
    const b = broker(2);
    const before = await b.shardRequests(q);
    expect(before.map((o) => o.object)).toStrictEqual([q, `${q}#1`]);
    await b.configure(q, { paused: true });
    const msgs = Array.from({ length: 10 }, () => taskMessage(q, "demo.noop"));
    for (const m of msgs) await b.enqueue([m]);
    const after = await b.shardRequests(q);
    const took = after.map((o, k) => o.requests - before[k]!.requests);
    // One configure each, and one request per send to the shard the id hashes to.
    expect(took).toStrictEqual([0, 1].map((k) => 1 + msgs.filter((m) => queueShardOf(m.id, 2) === k).length));
  });
});
