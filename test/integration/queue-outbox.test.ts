/**
 * The outbox carries effects out in batches; one effect that keeps failing (here a canvas that
 * cannot be planned) must not hold up the others that were due with it.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Effect } from "../../src/canvas/effects";
import { rootInherit } from "../../src/canvas/plan";
import { queue, result, uid } from "./helpers";

describe("QueueDO outbox", () => {
  it("a failing row is backed off on its own; the rows beside it are carried out", async () => {
    const q = uid("q-outbox");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const good = uid("good");
    // A canvas without ids cannot be planned: carrying this effect out always throws.
    const poison: Effect[] = [{ kind: "apply", canvas: { kind: "task", name: "demo.noop", args: [], kwargs: {}, options: {}, immutable: false }, inherit: rootInherit() }];
    const fine: Effect[] = [{ kind: "store", write: { id: good, state: "SUCCESS", result: 42, task: "demo.identity" } }];
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec("INSERT INTO outbox (effect) VALUES (?), (?)", JSON.stringify(poison), JSON.stringify(fine));
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await result(good, q))?.result).toBe(42);
    const left = await runInDurableObject(stub, async (_instance, state) =>
      state.storage.sql.exec<{ attempts: number; not_before: number }>("SELECT attempts, not_before FROM outbox").toArray(),
    );
    expect(left).toHaveLength(1);
    expect(left[0]!.attempts).toBe(1);
    expect(left[0]!.not_before).toBeGreaterThan(0);
  });
});
