/**
 * The QueueDO schema: partial indexes, one per state, and the upgrade from the full indexes of
 * earlier versions (dropped when the schema runs again, with the rows kept).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyQueueSchema, QUEUE_SCHEMA, SEQ_SPAN_SQL } from "../../durable-objects/queue-schema";
import type { QueueDO } from "../../durable-objects/queue-do";
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
    expect(names.after).toEqual(["messages_delayed", "messages_expiring", "messages_held", "messages_leased", "messages_waiting"]);
    expect(await stub.stats(q)).toMatchObject({ waiting: 1, delayed: 1, leased: 0, paused: true });
  });

  it("a queue from before held messages gains hold_until (NULL: nothing held) and its index, with its rows kept", async () => {
    const q = uid("q-hold-upgrade");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    const got = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP INDEX messages_held");
      sql.exec("ALTER TABLE messages DROP COLUMN hold_until");
      applyQueueSchema(sql);
      return { rows: sql.exec<{ hold_until: number | null }>("SELECT hold_until FROM messages").toArray(), names: indexes(state) };
    });
    expect(got.rows).toEqual([{ hold_until: null }]);
    expect(got.names).toContain("messages_held");
    expect(await stub.stats(q)).toMatchObject({ waiting: 1 });
  });

  it("a queue from before started_at gains it (NULL for a row begun then: inspect falls back to its result), with its rows kept", async () => {
    const q = uid("q-started-upgrade");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    const got = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("ALTER TABLE messages DROP COLUMN started_at");
      applyQueueSchema(sql);
      return sql.exec<{ started_at: number | null }>("SELECT started_at FROM messages").toArray();
    });
    expect(got).toEqual([{ started_at: null }]);
    expect(await stub.stats(q)).toMatchObject({ waiting: 1 });
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

  it("with the span of seq wider than max_waiting for good (an old far-eta row), enqueue reads neither the span nor the count while its bound on the rows leaves room, counts once at the bound, and still refuses at max_waiting", async () => {
    const q = uid("q-wide-span");
    const stub = queue(q);
    await stub.configure(q, { paused: true, max_waiting: 50 });
    await stub.enqueue([taskMessage(q, "demo.noop", { eta: Date.now() + 7 * 86_400_000 })]);
    const got = await runInDurableObject(stub, async (instance: QueueDO, state) => {
      // As after a thousand messages came and went: the next row's seq is 1,001, the span 1,001.
      state.storage.sql.exec("UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'messages'");
      const real = state.storage.sql;
      let counts = 0;
      let spans = 0;
      (instance as unknown as { sql: unknown }).sql = {
        exec: (query: string, ...args: unknown[]) => {
          if (/COUNT\(\*\) AS n FROM messages$/.test(query)) counts += 1;
          if (query === SEQ_SPAN_SQL) spans += 1;
          return real.exec(query, ...args);
        },
      };
      try {
        const answers = [];
        for (let i = 0; i < 20; i++) answers.push(await instance.enqueue([taskMessage(q, "demo.noop")]));
        const countsFirst20 = counts;
        for (let i = 0; i < 29; i++) answers.push(await instance.enqueue([taskMessage(q, "demo.noop")]));
        const spansBefore = spans;
        const refused = await instance.enqueue([taskMessage(q, "demo.noop")]);
        return { countsFirst20, counts, spansBefore, spans, added: answers.reduce((n, a) => n + a.added, 0), refused, held: real.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages").one().n };
      } finally {
        (instance as unknown as { sql: unknown }).sql = real;
      }
    });
    // Once an exact count per enqueue while the span was wide (19 of the first 20, 49 in all), then
    // one in the first 20 and two in all; now the first enqueue's bound (1 row) plus the rows
    // added since leaves room for all 49: no span read, no count, until the 50th row makes one of each.
    expect(got.countsFirst20).toBe(0);
    expect(got.spansBefore).toBe(0);
    expect(got.counts).toBe(1);
    expect(got.spans).toBe(1);
    expect(got.added).toBe(49);
    expect(got.held).toBe(50);
    expect(got.refused).toEqual({ added: 0, full: `queue '${q}' holds 50 messages; at most 50 (max_waiting)` });
  });
});
