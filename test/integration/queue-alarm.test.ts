/**
 * The QueueDO's alarm is its safety net: after it runs, it is set again for whatever is still
 * due later (a delayed message's eta, a leased one's deadline), even when the run itself found
 * nothing to do.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { queue, taskMessage, uid } from "./helpers";

const alarmOf = (q: string) => runInDurableObject(queue(q), (_instance, state) => state.storage.getAlarm());

describe("QueueDO alarm", () => {
  it("an alarm run that finds nothing due sets the alarm again for a delayed message's eta", async () => {
    const q = uid("q-alarm");
    const stub = queue(q);
    const eta = Date.now() + 3_600_000;
    await stub.enqueue([taskMessage(q, "demo.noop", { eta })]);
    await stub.drain();
    expect(await alarmOf(q)).toBe(eta);
    // The alarm goes off early (as after a restart, or one set for a deadline since settled).
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await stub.drain();
    expect(await alarmOf(q)).toBe(eta);
    expect(await stub.stats(q)).toMatchObject({ delayed: 1, waiting: 0, leased: 0 });
  });
});
