/**
 * ResultDO writes a batch's small rows in one statement; a large result (whose JSON text would
 * be escaped once more inside the batch, past the 2 MB limit of a bound string on Cloudflare)
 * goes alone. Local workerd accepts larger strings, so this checks that a write mixing both
 * paths stores every row whole, not the limit itself.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resultShard } from "../../src/runtime/stubs";
import type { TaskResult } from "../../src/protocol";
import { uid } from "./helpers";

describe("ResultDO large rows", () => {
  it("a ~1 MB result full of quotes is stored next to small ones in the same write", async () => {
    const shard = resultShard(env, 3);
    const big = '"'.repeat(600_000); // JSON text ~1.2 MB; escaped again in a batch it would be ~2.4 MB
    const ids = [uid("res-small"), uid("res-big"), uid("res-small")];
    const written = await shard.write([
      { id: ids[0]!, state: "SUCCESS", result: 1, task: "t" },
      { id: ids[1]!, state: "SUCCESS", result: big, task: "t" },
      { id: ids[2]!, state: "SUCCESS", result: 3, task: "t" },
    ]);
    expect(written).toEqual({ written: 3 });
    const got = (await shard.waitMany(ids, 0)) as Array<TaskResult | null>;
    expect(got.map((r) => r?.state)).toStrictEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect((got[1]!.result as string).length).toBe(600_000);
    expect([got[0]!.result, got[2]!.result]).toStrictEqual([1, 3]);
  });
});
