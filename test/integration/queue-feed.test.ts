/**
 * The queue's view of the event feed (src/runtime/event-feed.ts): with no subscriber, a
 * begin asks the EventsDO, which remembers the queue it told "nobody listens" (so that a
 * subscriber arriving later tells it). Events in order are tested end to end (test/e2e/operations.test.ts).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventsStub } from "../../src/runtime/stubs";
import { beginItem, deliveryOf, queue, taskMessage, uid } from "./helpers";

describe("queue feed", () => {
  it("no subscriber: begins run their tasks and the feed remembers the queue it told 'no'", async () => {
    const q = uid("q-feed");
    const ms = [1, 2, 3].map((x) => taskMessage(q, "demo.add", { args: [x, x] }));
    await queue(q).enqueue(ms);
    const body = await deliveryOf(q);
    expect(body.tasks).toHaveLength(3);
    const [first, ...rest] = body.tasks.map((t) => beginItem(t.lease, (JSON.parse(t.body) as { id: string }).id));
    expect(await queue(q).begin([first!])).toEqual([{ lease: first!.lease, action: "run" }]);
    expect((await queue(q).begin(rest)).map((r) => r.action)).toEqual(["run", "run"]);
    const queueId = env.QUEUE_DO.idFromName(q).toString();
    const told = await runInDurableObject(eventsStub(env)!, async (_i, state) => state.storage.list<number>({ prefix: "told-no:" }));
    // The key is per queue object: however many begins asked, one entry.
    expect([...told.keys()].filter((k) => k === `told-no:${queueId}`)).toHaveLength(1);
  });
});
