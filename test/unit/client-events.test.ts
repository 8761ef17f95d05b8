import { describe, expect, it } from "vitest";
import { EdgeryHttpError, SseParser, TimeoutError, createClient, eventMatcher, type FetchLike, type TaskEvent } from "../../client/index.js";
import { fakeClient, sequence, taskResult } from "./client-fake-fetch.js";

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** A fetch whose answer streams `chunks` (then ends, unless `hold`); records the init it got. */
function streamingFetch(chunks: string[], opts: { hold?: boolean; status?: number } = {}) {
  const inits: Array<{ url: string; signal?: AbortSignal; headers: Record<string, string> }> = [];
  const fetch: FetchLike = async (url, init) => {
    inits.push({ url, signal: init.signal, headers: init.headers });
    if (opts.status) return new Response(JSON.stringify({ error: { code: "unauthorized", message: "no" } }), { status: opts.status });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(encoder.encode(c));
        if (!opts.hold) controller.close();
        init.signal?.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
  return { fetch, inits };
}

async function collect(it: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe("SseParser", () => {
  it("parses frames cut anywhere, CRLF and CR line ends, comments and multi-line data", () => {
    const text = ": connected\r\n\r\nevent: a\r\ndata: {\"x\":1}\r\n\r\nevent: b\rdata: one\rdata: two\r\rdata: plain\n\nid: 7\nretry: 10\nevent: c\ndata:no-space\n\n";
    for (const size of [1, 2, 3, 5, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events, `chunk size ${size}`).toEqual([
        { event: "a", data: '{"x":1}' },
        { event: "b", data: "one\ntwo" },
        { event: "message", data: "plain" },
        { event: "c", data: "no-space" },
      ]);
    }
  });

  it("keeps an unfinished event until its blank line, and drops an event with no data", () => {
    const parser = new SseParser();
    expect(parser.push("event: a\ndata: 1\n")).toEqual([]);
    expect(parser.push("\nevent: empty\n\n")).toEqual([{ event: "a", data: "1" }]);
  });
});

describe("eventMatcher", () => {
  const e = (event: string, task: string | null, state: string, id = "x"): TaskEvent => ({ event, data: { ...taskResult(id, state), task } as never });
  it("matches task globs, states, event names and ids; every given filter must hold", () => {
    expect(eventMatcher({ task: "demo.*" })(e("task-started", "demo.add", "STARTED"))).toBe(true);
    expect(eventMatcher({ task: "demo.*" })(e("task-started", "demox.add", "STARTED"))).toBe(false);
    // Regex characters in a name are literal: "demo.add" does not match "demoXadd".
    expect(eventMatcher({ task: "demo.add" })(e("task-started", "demoXadd", "STARTED"))).toBe(false);
    expect(eventMatcher({ task: ["a", "b"] })(e("task-started", "b", "STARTED"))).toBe(true);
    expect(eventMatcher({ task: "*" })(e("task-started", null, "STARTED"))).toBe(true);
    expect(eventMatcher({ task: "demo.*", state: "FAILURE" })(e("task-failed", "demo.fail", "FAILURE"))).toBe(true);
    expect(eventMatcher({ task: "demo.*", state: "FAILURE" })(e("task-succeeded", "demo.add", "SUCCESS"))).toBe(false);
    expect(eventMatcher({ event: ["task-failed"] })(e("task-succeeded", "demo.add", "SUCCESS"))).toBe(false);
    expect(eventMatcher({ id: "y" })(e("task-succeeded", "demo.add", "SUCCESS", "y"))).toBe(true);
    expect(eventMatcher({})(e("task-succeeded", "demo.add", "SUCCESS"))).toBe(true);
  });
});

describe("client.events()", () => {
  it("reads GET /v1/events with the token, yields the events that pass the filters, skips what is not a result", async () => {
    const a = taskResult("a", "SUCCESS", { task: "demo.add", result: 4 });
    const b = taskResult("b", "FAILURE", { task: "demo.fail" });
    const text = ": connected\n\n" + frame("task-succeeded", a) + "event: task-x\ndata: not json\n\n" + frame("task-x", { hello: 1 }) + frame("task-failed", b);
    // Cut mid-frame (UTF-8 cut mid-character: the next test).
    const { fetch, inits } = streamingFetch([text.slice(0, 30), text.slice(30, 100), text.slice(100)]);
    const client = createClient({ url: "http://edgery.test/", token: "dev-token", fetch });
    expect(await collect(client.events())).toEqual([
      { event: "task-succeeded", data: a },
      { event: "task-failed", data: b },
    ]);
    expect(inits[0]!.url).toBe("http://edgery.test/v1/events");
    expect(inits[0]!.headers.authorization).toBe("Bearer dev-token");
    expect(inits[0]!.headers.accept).toBe("text/event-stream");
    const filtered = createClient({ url: "http://edgery.test", token: "t", fetch: streamingFetch([text]).fetch });
    expect(await collect(filtered.events({ state: "FAILURE" }))).toEqual([{ event: "task-failed", data: b }]);
  });

  it("decodes multi-byte UTF-8 split across chunks", async () => {
    const a = taskResult("a", "SUCCESS", { task: "demo.echo", result: "héllo ✓" });
    const bytes = new TextEncoder().encode(frame("task-succeeded", a));
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of ✓
    const fetch: FetchLike = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(bytes.slice(0, cut));
            c.enqueue(bytes.slice(cut));
            c.close();
          },
        }),
      );
    const events = await collect(createClient({ url: "http://e.test", fetch }).events());
    expect(events.map((e) => e.data.result)).toEqual(["héllo ✓"]);
  });

  it("ends without an error when the signal aborts a held stream", async () => {
    const a = taskResult("a", "STARTED", { task: "demo.sleep" });
    const { fetch, inits } = streamingFetch([frame("task-started", a)], { hold: true });
    const controller = new AbortController();
    const seen: TaskEvent[] = [];
    let opened = 0;
    for await (const e of createClient({ url: "http://e.test", fetch }).events({ signal: controller.signal, onOpen: () => opened++ })) {
      seen.push(e);
      controller.abort();
    }
    expect(seen.map((e) => e.data.id)).toEqual(["a"]);
    expect(opened).toBe(1);
    expect(inits[0]!.signal?.aborted).toBe(true);
  });

  /** A fetch that answers each call with the next of `answers`: a stream of frames (held open or ended), an error status, or a thrown network error. */
  function answering(answers: Array<{ frames?: string[]; hold?: boolean; status?: number; network?: true }>) {
    let calls = 0;
    const fetch: FetchLike = async (_url, init) => {
      const a = answers[Math.min(calls++, answers.length - 1)]!;
      if (a.network) throw new TypeError("fetch failed");
      if (a.status) return new Response(JSON.stringify({ error: { code: a.status >= 500 ? "internal" : "forbidden", message: "no" } }), { status: a.status });
      const encoder = new TextEncoder();
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const f of a.frames ?? []) controller.enqueue(encoder.encode(f));
            if (!a.hold) controller.close();
            init.signal?.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
          },
        }),
        { status: 200 },
      );
    };
    return { fetch, calls: () => calls };
  }

  it("reconnect: a stream that ends, a server that cannot be reached and a 503 are each opened again, with a doubling wait reset by an open stream", async () => {
    const a = taskResult("a", "SUCCESS", { task: "demo.add" });
    const b = taskResult("b", "SUCCESS", { task: "demo.add" });
    const { fetch, calls } = answering([{ frames: [frame("task-succeeded", a)] }, { network: true }, { status: 503 }, { frames: [frame("task-succeeded", b)], hold: true }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const waits: Array<[number, number, string]> = [];
    let opened = 0;
    const feed = createClient({ url: "http://e.test", fetch }).events({
      reconnect: true,
      signal: controller.signal,
      onOpen: () => opened++,
      // A failed request is an EdgeryHttpError too: code network_error, status 0, the fetch error its cause.
      onReconnect: (attempt, delayMs, cause) =>
        waits.push([attempt, delayMs, cause === null ? "ended" : cause instanceof EdgeryHttpError ? (cause.code === "network_error" && cause.status === 0 && cause.cause instanceof TypeError ? "network" : `http ${cause.status}`) : "other"]),
    });
    for await (const e of feed) {
      seen.push(e.data.id);
      if (seen.length === 2) controller.abort();
    }
    expect(seen).toEqual(["a", "b"]);
    expect(calls()).toBe(4);
    expect(opened).toBe(2);
    expect(waits).toEqual([
      [1, 500, "ended"],
      [2, 1000, "network"],
      [3, 2000, "http 503"],
    ]);
  }, 10_000);

  it("reconnect: a 4xx answer still throws (retrying cannot fix a token), and an abort during the wait ends the iteration", async () => {
    const forbidden = answering([{ status: 403 }]);
    await expect(collect(createClient({ url: "http://e.test", fetch: forbidden.fetch }).events({ reconnect: true }))).rejects.toMatchObject({ status: 403 });
    expect(forbidden.calls()).toBe(1);
    const ended = answering([{ frames: [] }]);
    const controller = new AbortController();
    const out = collect(createClient({ url: "http://e.test", fetch: ended.fetch }).events({ reconnect: true, signal: controller.signal, onReconnect: () => controller.abort() }));
    await expect(out).resolves.toEqual([]);
    expect(ended.calls()).toBe(1);
  });

  it("without reconnect, the iteration ends with the stream and a 5xx throws", async () => {
    const { fetch, calls } = answering([{ frames: [] }]);
    await expect(collect(createClient({ url: "http://e.test", fetch }).events())).resolves.toEqual([]);
    expect(calls()).toBe(1);
    const down = answering([{ status: 503 }]);
    await expect(collect(createClient({ url: "http://e.test", fetch: down.fetch }).events())).rejects.toMatchObject({ status: 503 });
  });

  it("an error answer throws EdgeryHttpError", async () => {
    const { fetch } = streamingFetch([], { status: 401 });
    await expect(collect(createClient({ url: "http://e.test", fetch }).events())).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    await expect(collect(createClient({ url: "http://e.test", fetch }).events())).rejects.toBeInstanceOf(EdgeryHttpError);
  });
});



describe("AsyncResult.watch() and get({ onProgress })", () => {
  const p = (current: number) => taskResult("t", "PROGRESS", { meta: { current, total: 3 } });
  const answers = [taskResult("t", "PENDING"), taskResult("t", "STARTED"), p(1), p(1), p(2), p(3), p(3), taskResult("t", "SUCCESS", { result: 3 })];

  it("watch() yields each change of state or meta once, ending with the ready result, with plain reads", async () => {
    const { client, requests } = fakeClient(sequence(...answers));
    const seen = [];
    for await (const r of client.result("t").watch({ interval: 0 })) seen.push([r.state, (r.meta as { current?: number } | null)?.current ?? null]);
    expect(seen).toEqual([
      ["PENDING", null],
      ["STARTED", null],
      ["PROGRESS", 1],
      ["PROGRESS", 2],
      ["PROGRESS", 3],
      ["SUCCESS", null],
    ]);
    expect(requests).toHaveLength(answers.length);
    expect(requests.every((r) => r.path === "/v1/results/t" && !r.query.has("wait"))).toBe(true);
  });

  it("get({ onProgress }) reports the meta of each running state and returns the value", async () => {
    const { client } = fakeClient(sequence(...answers));
    const metas: unknown[] = [];
    const value = await client.result<number>("t").get({ interval: 0, onProgress: (meta) => metas.push(meta) });
    expect(value).toBe(3);
    expect(metas).toEqual([null, { current: 1, total: 3 }, { current: 2, total: 3 }, { current: 3, total: 3 }]);
  });

  it("get({ onProgress }) throws the task's error class on failure", async () => {
    const { client } = fakeClient(sequence(p(1), taskResult("t", "FAILURE", { error: { type: "TimeLimitExceeded", message: "late" } })));
    await expect(client.result("t").get({ interval: 0, onProgress: () => undefined })).rejects.toMatchObject({ name: "TimeLimitExceeded", message: "late" });
  });

  it("watch({ timeout }) throws TimeoutError once the time is up", async () => {
    const { client } = fakeClient(() => ({ body: p(1) }));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const r of client.result("t").watch({ interval: 0.01, timeout: 0.05 })) seen.push(r.state);
      })(),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(seen).toEqual(["PROGRESS"]);
  });

  it("watch() refuses a negative interval", async () => {
    const { client } = fakeClient(() => ({ body: p(1) }));
    await expect(client.result("t").watch({ interval: -1 }).next()).rejects.toBeInstanceOf(TypeError);
  });
});
