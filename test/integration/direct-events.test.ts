/**
 * Events of the tasks a `cloudflare-queue` broker runs (src/worker/direct-consumer.ts): they
 * have no QueueDO to announce them, so the consumer announces `task-received` and
 * `task-started` itself, before the task runs, and only while the event feed listens.
 * The same through HTTP and the real DIRECT Queue: test/e2e/direct-broker.test.ts.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeDirect } from "../../src/worker/direct-consumer";
import { eventsStub, resultStub } from "../../src/runtime/stubs";
import { FeedListening, UNTOLD_ANSWER_MS } from "../../src/runtime/event-feed";
import type { DirectBody } from "../../src/brokers/cloudflare-queue-broker";
import { demoApp, result, taskMessage } from "./helpers";

const Q = "direct";

function body(...tasks: ReturnType<typeof taskMessage>[]): DirectBody {
  return { kind: "edgery.direct", queue: Q, tasks };
}

// The first test runs before any subscriber in this isolate: its answer is "nobody listens".
/** The complete SSE frames of a stream's text so far. */
function frames(text: string) {
  // The text after the last blank line is a frame still arriving.
  return text
    .split("\n\n")
    .slice(0, -1)
    .filter((f) => f.startsWith("event: "))
    .map((f) => {
      const [event, data] = f.split("\n");
      return { event: event!.slice(7), data: JSON.parse(data!.slice(6)) as { id: string; state: string; task: string } };
    });
}

describe("direct consumer events", () => {
  it("an isolate's view of the feed: with nobody listening, one ask for many tasks until the answer lapses", async () => {
    let asked = 0;
    const view = new FeedListening((events) => {
      asked += 1;
      return events.listensNow();
    });
    const now = Date.now();
    // Concurrent tasks share one ask; later ones within the answer ask nothing.
    expect(await Promise.all([1, 2, 3].map(() => view.listening(env, now)))).toEqual([false, false, false]);
    for (let i = 0; i < 100; i++) expect(await view.listening(env, now + i)).toBe(false);
    expect(asked).toBe(1);
    // Once the "no" lapses (UNTOLD_ANSWER_MS after it was given), the next task asks again.
    expect(await view.listening(env, Date.now() + UNTOLD_ANSWER_MS)).toBe(false);
    expect(asked).toBe(2);
  });

  it("nobody listening: the task's result shard gets the result write and no announce", async () => {
    const m = taskMessage(Q, "demo.add", { args: [1, 2] });
    const shard = resultStub(env, m.id);
    const before = await shard.requestCount();
    const run = await consumeDirect(env, demoApp(), body(m));
    expect(run.ran).toBe(1);
    // One request: the final write. An announce would make it two.
    expect((await shard.requestCount()) - before).toBe(1);
    expect((await result(m.id))?.state).toBe("SUCCESS");
  });

  it("with a subscriber: received, started, then succeeded or failed, in order per task", async () => {
    const res = await eventsStub(env)!.fetch("https://edgery.internal/events");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(": connected")) text += (await reader.read()).value ?? "";
    // A "nobody listens" answer this isolate got before subscribing holds this long (the
    // documented window in which a new subscriber may miss these two events).
    await new Promise((resolve) => setTimeout(resolve, UNTOLD_ANSWER_MS));

    const ok = taskMessage(Q, "demo.add", { args: [2, 3] });
    const bad = taskMessage(Q, "demo.fail", { args: ["watched"], options: { max_retries: 0 } });
    const run = await consumeDirect(env, demoApp(), body(ok, bad));
    expect(run.ran).toBe(2);

    const finals = () => frames(text).filter((f) => (f.event === "task-succeeded" && f.data.id === ok.id) || (f.event === "task-failed" && f.data.id === bad.id));
    // Read until both final events (a missing one fails by the test's timeout).
    while (finals().length < 2) text += (await reader.read()).value ?? "";
    await reader.cancel();
    const of = (id: string) => frames(text).filter((f) => f.data.id === id);
    expect(of(ok.id).map((f) => f.event)).toEqual(["task-received", "task-started", "task-succeeded"]);
    expect(of(bad.id).map((f) => f.event)).toEqual(["task-received", "task-started", "task-failed"]);
    expect(of(ok.id).slice(0, 2).map((f) => [f.data.state, f.data.task])).toEqual([
      ["RECEIVED", "demo.add"],
      ["STARTED", "demo.add"],
    ]);
  });
});
