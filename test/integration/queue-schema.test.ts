/**
 * The QueueDO schema: partial indexes, one per state, and the upgrade from the full indexes of
 * earlier versions (dropped when the schema runs again, with the rows kept).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { QUEUE_SCHEMA, SEQ_SPAN_SQL } from "../../durable-objects/queue-schema";
import { queue, taskMessage, uid } from "./helpers";

const indexes = (state: DurableObjectState) =>
  state.storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name")
    .toArray()
    .map((r) => r.name);

describe("QueueDO schema", () => {
  it("an upgraded queue loses the old full indexes, keeps its rows, and its stats count from the partial ones", async () => {
    const q = uid("q-schema");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue([taskMessage(q, "demo.noop"), taskMessage(q, "demo.noop", { eta: Date.now() + 3_600_000 })]);
    const names = await runInDurableObject(stub, (_instance, state) => {
      // As a queue created by an earlier version had them.
      state.storage.sql.exec("CREATE INDEX IF NOT EXISTS messages_ready ON messages (state, priority DESC, seq)");
      state.storage.sql.exec("CREATE INDEX IF NOT EXISTS messages_eta ON messages (state, eta)");
      const before = indexes(state);
      state.storage.sql.exec(QUEUE_SCHEMA);
      return { before, after: indexes(state) };
    });
    expect(names.before).toContain("messages_ready");
    expect(names.after).toEqual(["messages_delayed", "messages_expiring", "messages_leased", "messages_waiting"]);
    expect(await stub.stats(q)).toMatchObject({ waiting: 1, delayed: 1, leased: 0, paused: true });
  });

  it("enqueue's back-pressure span reads the two ends of the rowid B-tree, not every row, and counts the rows held", async () => {
    const q = uid("q-span");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue(Array.from({ length: 5 }, () => taskMessage(q, "demo.noop")));
    const got = await runInDurableObject(stub, (_instance, state) => ({
      plan: state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${SEQ_SPAN_SQL}`)
        .toArray()
        .map((r) => r.detail),
      span: state.storage.sql.exec<{ n: number }>(SEQ_SPAN_SQL).one().n,
    }));
    // One SEARCH per end; a SCAN of messages (as `MAX(seq) - MIN(seq)` in one SELECT does) reads all rows.
    expect(got.plan.filter((d) => d.startsWith("SEARCH messages"))).toHaveLength(2);
    expect(got.plan.some((d) => d.startsWith("SCAN messages"))).toBe(false);
    expect(got.span).toBe(5);
  });
});
