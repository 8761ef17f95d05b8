/**
 * The QueueDO's alarm is its safety net: after it runs, it is set again for whatever is still
 * due later (a delayed message's eta, a leased one's deadline), even when the run itself found
 * nothing to do; and waiting messages keep it set, so an object lost between an enqueue's commit
 * and its dispatch still dispatches them.
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

  it("waiting messages whose dispatch never ran (the object lost after the commit) are dispatched by the alarm; a paused queue's are not", async () => {
    const q = uid("q-alarm-lost");
    const stub = queue(q);
    // The pump (dispatch after the commit, in memory) never runs: as when the object is lost
    // between the enqueue's commit and its dispatch (a crash, a restart, an eviction).
    const before = Date.now();
    await runInDurableObject(stub, async (instance) => {
      (instance as unknown as { pump: () => Promise<void> }).pump = () => Promise.resolve();
      await instance.enqueue([taskMessage(q, "demo.noop"), taskMessage(q, "demo.noop")]);
    });
    expect(await stub.stats(q)).toMatchObject({ waiting: 2, leased: 0 });
    const at = await alarmOf(q);
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before);
    expect(at!).toBeLessThanOrEqual(Date.now() + 5_000);
    // The object comes back as it was stored (its own pump again); the alarm dispatches both.
    await runInDurableObject(stub, (instance) => {
      delete (instance as unknown as { pump?: unknown }).pump;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await stub.drain();
    expect((await stub.stats(q)).waiting).toBe(0);

    // Paused: nothing to dispatch, so no alarm for them (it would only wake the object).
    const p = uid("q-alarm-paused");
    const paused = queue(p);
    await paused.configure(p, { paused: true });
    await paused.enqueue([taskMessage(p, "demo.noop")]);
    await paused.drain();
    expect(await paused.stats(p)).toMatchObject({ waiting: 1, paused: true });
    expect(await alarmOf(p)).toBeNull();
  });
});
