/**
 * A send with `?wait=` reads the result of the task it has just made: only the task's result
 * shard can hold that result yet (KV and D1 copies are made from the shard's), so the read waits
 * on the shard alone. Any other long poll also asks KV (after 2 ms) and D1 (after 50 ms), where an
 * older result may be.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readResult } from "../../src/results/read";
import { resultStub } from "../../src/runtime/stubs";
import type { EdgeryEnv } from "../../src/runtime/env";
import { uid } from "./helpers";

/** The test env with its KV and D1 result backends counting what is asked of them. */
function countingEnv() {
  const kvKeys: string[] = [];
  const d1Queries: string[] = [];
  const base = env as unknown as EdgeryEnv;
  const kv = base.RESULTS_KV;
  const db = base.RESULTS_DB!;
  const spied = {
    ...base,
    RESULTS_KV: { get: (key: string, type: "json") => (kvKeys.push(key), kv.get(key, type)) },
    RESULTS_DB: { prepare: (query: string) => (d1Queries.push(query), db.prepare(query)), batch: (statements: D1PreparedStatement[]) => db.batch(statements) },
  } as unknown as EdgeryEnv;
  return { spied, kvKeys, d1Queries };
}

/** Reads `id` with a 2 s wait while its SUCCESS is written 120 ms later. */
async function readWhileWritten(e: EdgeryEnv, id: string, fresh: boolean) {
  const write = new Promise((r) => setTimeout(r, 120)).then(() =>
    resultStub(env as unknown as EdgeryEnv, id).write([{ id, state: "SUCCESS", result: "é ✓", error: null, task: "demo.echo" }]),
  );
  const r = await readResult(e, id, 2000, () => undefined, { fresh });
  await write;
  return r;
}

describe("readResult of a task the request just sent", () => {
  it("fresh: waits on the result shard alone, asking neither KV nor D1", async () => {
    const { spied, kvKeys, d1Queries } = countingEnv();
    const id = uid("fresh-read");
    expect(await readWhileWritten(spied, id, true)).toMatchObject({ id, state: "SUCCESS", result: "é ✓" });
    expect(kvKeys).toStrictEqual([]);
    expect(d1Queries).toStrictEqual([]);
  });

  it("any other long poll asks KV and D1 too while the shard has no ready answer", async () => {
    const { spied, kvKeys, d1Queries } = countingEnv();
    const id = uid("other-read");
    expect(await readWhileWritten(spied, id, false)).toMatchObject({ id, state: "SUCCESS", result: "é ✓" });
    expect(kvKeys).toHaveLength(1);
    // D1 was asked (its backend first makes sure of its schema, then selects; the shard's
    // answer may win the race before the select is sent).
    expect(d1Queries.length).toBeGreaterThan(0);
  });

  it("fresh: a task that never finishes reads PENDING at the end of the wait", async () => {
    const { spied, kvKeys, d1Queries } = countingEnv();
    const r = await readResult(spied, uid("fresh-never"), 150, () => undefined, { fresh: true });
    expect(r.state).toBe("PENDING");
    expect([kvKeys, d1Queries]).toStrictEqual([[], []]);
  });
});
