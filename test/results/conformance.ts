/**
 * The result backend conformance suite: the properties every ResultBackend must have, run against
 * the in-memory twin (test/unit/result-backend-conformance.test.ts) and against the real backends
 * in workerd (test/integration/result-backends.test.ts): kv (ResultDO + KV), d1, r2, none.
 */
import { describe, expect, it } from "vitest";
import type { ResultBackend, StoredResult } from "../../src/results/backend.js";

/** What a run of the suite knows of its backend. */
export interface BackendHarness {
  backend: ResultBackend;
  /** False for `none`: nothing is ever stored. */
  stores: boolean;
  /** Whether the backend keeps `args`/`kwargs` (result_extended). */
  extended: boolean;
  /** Whether an `expires_at` in the past hides the result at once. */
  honoursPastExpiry: boolean;
}

let n = 0;
/** An id no other case uses. */
export function rid(prefix = "conf"): string {
  n += 1;
  return `${prefix}-${n}-${crypto.randomUUID()}`;
}

/** A ready result, as a task's final write stores it. */
export function result(over: Partial<StoredResult> & { id: string }): StoredResult {
  return {
    state: "SUCCESS",
    result: 42,
    meta: null,
    error: null,
    task: "conf.task",
    queue: "conf",
    worker: "conf-worker",
    retries: 0,
    parent_id: null,
    group_id: null,
    children: [],
    started_at: "2026-01-01T00:00:00.000Z",
    date_done: "2026-01-01T00:00:01.000Z",
    expires_at: Date.now() + 3_600_000,
    ...over,
  };
}

/** Runs the suite against one backend. */
export function describeResultBackend(name: string, make: () => BackendHarness | Promise<BackendHarness>): void {
  describe(`result backend conformance: ${name}`, () => {
    it("get of an unknown id is null", async () => {
      const { backend } = await make();
      expect(await backend.get(rid("unknown"))).toBeNull();
    });

    it("put then get returns the result (value, error, fields)", async () => {
      const h = await make();
      const ok = result({ id: rid(), result: { nested: [1, "two", null], s: "é" } });
      const bad = result({ id: rid(), state: "FAILURE", result: null, error: { type: "DemoError", message: "boom" } });
      await h.backend.put([ok, bad]);
      if (!h.stores) {
        expect(await h.backend.get(ok.id)).toBeNull();
        return;
      }
      expect(await h.backend.get(ok.id)).toMatchObject({ id: ok.id, state: "SUCCESS", result: { nested: [1, "two", null], s: "é" }, task: "conf.task", queue: "conf", worker: "conf-worker", date_done: ok.date_done });
      expect(await h.backend.get(bad.id)).toMatchObject({ id: bad.id, state: "FAILURE", result: null, error: { type: "DemoError", message: "boom" } });
    });

    it("the first final result wins: a later put of the same id changes nothing", async () => {
      const h = await make();
      if (!h.stores) return;
      const id = rid("final");
      await h.backend.put([result({ id, result: "first" })]);
      await h.backend.put([result({ id, state: "FAILURE", result: null, error: { type: "Late", message: "late" } })]);
      expect(await h.backend.get(id)).toMatchObject({ state: "SUCCESS", result: "first" });
    });

    it("put is idempotent: the same result twice reads once, unchanged", async () => {
      const h = await make();
      if (!h.stores) return;
      const r = result({ id: rid("twice"), result: [1, 2, 3] });
      await h.backend.put([r]);
      await h.backend.put([r]);
      expect(await h.backend.get(r.id)).toMatchObject({ state: "SUCCESS", result: [1, 2, 3] });
    });

    it("forget removes the result; forgetting an unknown id is fine", async () => {
      const h = await make();
      const r = result({ id: rid("forget") });
      await h.backend.put([r]);
      await h.backend.forget(r.id);
      expect(await h.backend.get(r.id)).toBeNull();
      await expect(h.backend.forget(rid("never"))).resolves.toBeUndefined();
    });

    it("result_extended: args and kwargs are kept with the result", async () => {
      const h = await make();
      if (!h.stores || !h.extended) return;
      const r = result({ id: rid("ext"), args: [1, { a: 2 }], kwargs: { k: "v" } });
      await h.backend.put([r]);
      expect(await h.backend.get(r.id)).toMatchObject({ args: [1, { a: 2 }], kwargs: { k: "v" } });
    });

    it("a result past its expires_at is gone; expires_at null keeps it", async () => {
      const h = await make();
      if (!h.stores || !h.honoursPastExpiry) return;
      const old = result({ id: rid("expired"), expires_at: Date.now() - 1000 });
      const forever = result({ id: rid("forever"), expires_at: null });
      await h.backend.put([old, forever]);
      expect(await h.backend.get(old.id)).toBeNull();
      expect(await h.backend.get(forever.id)).toMatchObject({ state: "SUCCESS" });
    });

    it("query (when supported): filters, newest first, cursor pages without gaps or repeats", async (ctx) => {
      const h = await make();
      if (!h.backend.query) return ctx.skip();
      const task = `conf.q.${rid("t")}`;
      const base = Date.parse("2026-02-01T00:00:00.000Z");
      const rs: StoredResult[] = [];
      for (let i = 0; i < 7; i++) {
        // Two share a date_done: the id breaks the tie.
        const d = new Date(base + Math.min(i, 5) * 1000).toISOString();
        rs.push(result({ id: `${task}-${i}`, task, queue: i % 2 === 0 ? "even" : "odd", state: i === 3 ? "FAILURE" : "SUCCESS", result: i, date_done: d }));
      }
      await h.backend.put(rs);
      const all: StoredResult[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<NonNullable<ResultBackend["query"]>>> = await h.backend.query({ task, limit: 3 }, cursor);
        expect(page.results.length).toBeLessThanOrEqual(3);
        all.push(...page.results);
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(all.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${task}-${i}`));
      const failed = await h.backend.query({ task, state: "FAILURE", limit: 10 }, null);
      expect(failed.results.map((r) => r.id)).toEqual([`${task}-3`]);
      expect(failed.cursor).toBeNull();
      const odd = await h.backend.query({ task, queue: "odd", limit: 10 }, null);
      expect(odd.results.map((r) => r.result)).toEqual([5, 3, 1]);
      const since = await h.backend.query({ task, since: base + 4000, limit: 10 }, null);
      expect(since.results.map((r) => r.result)).toEqual([6, 5, 4]);
      const exact = await h.backend.query({ task, limit: 7 }, null);
      expect(exact.results).toHaveLength(7);
      expect(exact.cursor).toBeNull();
      await h.backend.forget(`${task}-6`);
      const after = await h.backend.query({ task, limit: 1 }, null);
      expect(after.results.map((r) => r.id)).toEqual([`${task}-5`]);
    });
  });
}
