// Unit tests of the id → result shard rule (src/runtime/stubs.ts): the count is a deploy
// setting, EDGERY_RESULT_SHARDS, 8 when unset (so an existing deployment's results keep their
// homes), and a bad value is refused rather than silently spreading results somewhere else.
import { describe, expect, it } from "vitest";
import { DEFAULT_RESULT_SHARDS, MAX_RESULT_SHARDS } from "../../src/protocol/index.js";
import { resultShardCount, shardOf } from "../../src/runtime/stubs.js";

describe("result shards", () => {
  it("default to 8 when EDGERY_RESULT_SHARDS is unset or empty, with the homes ids always had", () => {
    expect(DEFAULT_RESULT_SHARDS).toBe(8);
    expect(resultShardCount({})).toBe(8);
    expect(resultShardCount({ EDGERY_RESULT_SHARDS: "" })).toBe(8);
    // FNV-1a of the id, modulo the count: pinned, so a change of hash cannot move stored results.
    expect(shardOf({}, "abc")).toBe(3);
    expect(shardOf({}, "task-1")).toBe(6);
    expect(shardOf({}, "0190b2a0-0000-7000-8000-000000000000")).toBe(1);
  });

  it("follow EDGERY_RESULT_SHARDS: every id lands in range, spread over all the shards", () => {
    const env = { EDGERY_RESULT_SHARDS: "256" };
    expect(resultShardCount(env)).toBe(256);
    expect(shardOf(env, "abc")).toBe(11);
    expect(shardOf(env, "task-1")).toBe(70);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const shard = shardOf(env, `id-${i}`);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(256);
      seen.add(shard);
    }
    expect(seen.size).toBe(256);
    // The last value parsed is cached: switching back reads the new value, not the cached one.
    expect(resultShardCount({ EDGERY_RESULT_SHARDS: " 16 " })).toBe(16);
    expect(resultShardCount({})).toBe(8);
    expect(resultShardCount({ EDGERY_RESULT_SHARDS: String(MAX_RESULT_SHARDS) })).toBe(MAX_RESULT_SHARDS);
  });

  it("refuse a value that is not an integer from 1 to MAX_RESULT_SHARDS", () => {
    for (const raw of ["0", "-1", "2.5", "1e2", "abc", "0x10", String(MAX_RESULT_SHARDS + 1)]) {
      expect(() => resultShardCount({ EDGERY_RESULT_SHARDS: raw }), raw).toThrow(/EDGERY_RESULT_SHARDS must be an integer from 1 to 1024/);
      expect(() => shardOf({ EDGERY_RESULT_SHARDS: raw }, "abc"), raw).toThrow(/EDGERY_RESULT_SHARDS/);
    }
  });
});
