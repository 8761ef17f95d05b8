/**
 * The EventsDO's answers to queues: a queue of this Worker's QUEUE_DO namespace told "nobody
 * listens" is remembered and told when a subscriber arrives; a queue of another app (its own
 * namespace, reaching the feed through a binding with script_name, as apps/billing does) cannot
 * be told, so it gets the short answer a Worker isolate gets and is not remembered.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventsStub } from "../../src/runtime/stubs";
import { FEED_ANSWER_MS, UNTOLD_ANSWER_MS } from "../../src/runtime/event-feed";
import { uid } from "./helpers";

describe("EventsDO and the queues of another app", () => {
  it("a foreign queue id gets the short 'no' and is not remembered; a subscriber then connects (it was a 500: the feed looked the id up in its own namespace)", async () => {
    const feed = eventsStub(env)!;
    // An id of another namespace, as another app's QueueDO id reads here.
    const foreign = env.RESULT_DO.idFromName(uid("foreign-queue")).toString();
    const own = env.QUEUE_DO.idFromName(uid("own-queue")).toString();
    const before = Date.now();
    const f = await feed.interest(foreign);
    const o = await feed.interest(own);
    expect(f.listeningUntil).toBe(0);
    expect(f.answerUntil).toBeLessThanOrEqual(Date.now() + UNTOLD_ANSWER_MS);
    expect(o.answerUntil).toBeGreaterThanOrEqual(before + FEED_ANSWER_MS);
    const told = await runInDurableObject(feed, async (_i, state) => [...(await state.storage.list({ prefix: "told-no:" })).keys()]);
    expect(told.some((k) => k.endsWith(foreign))).toBe(false);
    expect(told.some((k) => k.endsWith(own))).toBe(true);
    // A key of a foreign id left by an earlier version is skipped, not looked up.
    await runInDurableObject(feed, (_i, state) => state.storage.put(`told-no:${foreign}`, Date.now() + 60_000));
    const controller = new AbortController();
    const res = await feed.fetch("https://edgery.internal/events", { signal: controller.signal });
    expect(res.status).toBe(200);
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
  });
});
