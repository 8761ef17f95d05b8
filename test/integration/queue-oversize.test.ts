/**
 * A message that no Queue message can carry (made at run time, e.g. a chord body given a huge
 * result list) fails alone with PayloadTooLarge instead of failing its whole delivery batch
 * again and again; the messages beside it are still dispatched.
 */
import { describe, expect, it } from "vitest";
import { QUEUE_MESSAGE_BUDGET_BYTES } from "../../src/protocol/index.js";
import { queue, result, row, taskMessage, uid } from "./helpers";

describe("QueueDO oversize messages", () => {
  it("fails the oversized message with PayloadTooLarge; the others are leased as usual", async () => {
    const q = uid("q-big");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const big = taskMessage(q, "demo.identity", { args: ["x".repeat(QUEUE_MESSAGE_BUDGET_BYTES + 10)] });
    const small = taskMessage(q, "demo.identity", { args: ["small"] });
    await stub.enqueue([big, small]);
    await stub.configure(q, { paused: false });

    const r = await result(big.id, q);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error?.type).toBe("PayloadTooLarge");
    expect(await row(q, big.id)).toBeUndefined();
    expect(await row(q, small.id)).toMatchObject({ state: "leased" });
    expect((await stub.stats(q)).failed).toBe(1);
  });
});
