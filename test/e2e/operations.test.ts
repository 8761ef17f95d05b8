// Contract: the operations routes (GET /v1/metrics, GET /v1/events, dead letters and replay,
// GET /v1/schedules, GET /dashboard), their auth, wrong methods and query errors.
import { describe, expect, it } from "vitest";
import { api, baseUrl, describeRes, expectError, pausedQueue, readEvents, send, TOKEN, uniq, waitResult, watchEvents, type Handle } from "./helpers";

/** Samples of a Prometheus text exposition, by series (name plus labels as written). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function metrics(): Promise<{ text: string; series: Map<string, number> }> {
  const res = await api("GET", "/v1/metrics");
  expect(res.status, describeRes(res)).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, series: samples(res.text) };
}

interface DeadLetterItem {
  id: string;
  task: string;
  queue: string;
  error: { type: string; message: string };
  failed_at: string;
  signature: { task: string; args: unknown[]; kwargs: Record<string, unknown>; options: Record<string, unknown> };
}

describe("GET /v1/metrics", () => {
  it("counts tasks by final state, runtimes and retries, and lists queue lengths", async () => {
    const before = (await metrics()).series;
    const add = await send("demo.add", { args: [1, 2] });
    const fail = await send("demo.fail", { args: ["metrics"], options: { max_retries: 0 } });
    const retry = await send("demo.retry_until", { args: [3] });
    expect((await waitResult(add.id)).state).toBe("SUCCESS");
    expect((await waitResult(fail.id)).state).toBe("FAILURE");
    expect((await waitResult(retry.id)).state).toBe("SUCCESS");
    const { text, series } = await metrics();
    const delta = (k: string) => (series.get(k) ?? 0) - (before.get(k) ?? 0);

    expect(delta('edgery_tasks_total{task="demo.add",state="SUCCESS"}'), text).toBeGreaterThanOrEqual(1);
    expect(delta('edgery_tasks_total{task="demo.fail",state="FAILURE"}'), text).toBeGreaterThanOrEqual(1);
    expect(delta('edgery_task_retries_total{task="demo.retry_until"}'), text).toBeGreaterThanOrEqual(2);
    expect(delta('edgery_task_runtime_seconds_count{task="demo.add"}'), text).toBeGreaterThanOrEqual(1);
    // Histogram buckets are cumulative and end in +Inf = _count.
    const inf = series.get('edgery_task_runtime_seconds_bucket{task="demo.add",le="+Inf"}');
    expect(inf, text).toBe(series.get('edgery_task_runtime_seconds_count{task="demo.add"}'));
    expect(series.get('edgery_task_runtime_seconds_bucket{task="demo.add",le="0.005"}')!, text).toBeLessThanOrEqual(inf!);
    expect(series.has('edgery_task_runtime_seconds_sum{task="demo.add"}'), text).toBe(true);
    for (const state of ["waiting", "delayed", "leased"]) {
      expect(series.has(`edgery_queue_messages{queue="default",state="${state}"}`), text).toBe(true);
    }
    expect(text).toContain("# TYPE edgery_task_runtime_seconds histogram");
  });

  it("shows a paused queue's waiting messages", async () => {
    const q = await pausedQueue();
    await send("demo.noop", { options: { queue: q } });
    await send("demo.noop", { options: { queue: q } });
    const { series, text } = await metrics();
    expect(series.get(`edgery_queue_messages{queue="${q}",state="waiting"}`), text).toBe(2);
    expect(series.get(`edgery_queue_paused{queue="${q}"}`), text).toBe(1);
  });
});

describe("GET /v1/metrics of another app's queue", () => {
  it("reads the billing queue where it is, in the billing app (it read an empty copy of the queue here: 0 delayed, not paused)", async () => {
    const h = await send("billing.charge", { args: [1], options: { countdown: 600 } });
    const stats = await api("GET", "/v1/queues/billing");
    expect(stats.json.delayed, describeRes(stats)).toBeGreaterThanOrEqual(1);
    const { series, text } = await metrics();
    expect(series.get('edgery_queue_messages{queue="billing",state="delayed"}'), text).toBe(stats.json.delayed);
    // Not left to run in 10 minutes.
    expect((await api("POST", `/v1/results/${h.id}/revoke`, {})).status).toBe(202);
  });
});

describe("GET /v1/events", () => {
  it("streams task-succeeded for a task sent after subscribing", async () => {
    const controller = new AbortController();
    const res = await fetch(`${baseUrl()}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    let handle: Handle | undefined;
    try {
      const seen = await readEvents(
        res.body!,
        async () => {
          handle = await send("demo.add", { args: [40, 2] });
        },
        (name, data) => name === "task-succeeded" && data.id === handle?.id,
      );
      const mine = seen.filter((e) => e.data.id === handle!.id);
      expect(mine.at(-1)).toMatchObject({ name: "task-succeeded", data: { id: handle!.id, state: "SUCCESS", result: 42, task: "demo.add" } });
    } finally {
      controller.abort();
    }
  });

  it("streams task-started, task-retried and task-failed, each with the result as data", async () => {
    const controller = new AbortController();
    const res = await fetch(`${baseUrl()}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    let retry: Handle | undefined;
    let fail: Handle | undefined;
    const done = new Set<string>();
    try {
      const seen = await readEvents(
        res.body!,
        async () => {
          retry = await send("demo.retry_until", { args: [2], options: { track_started: true } });
          fail = await send("demo.fail", { args: ["events"], options: { max_retries: 0 } });
        },
        (name, data) => {
          if (name === "task-succeeded" && data.id === retry?.id) done.add("retry");
          if (name === "task-failed" && data.id === fail?.id) done.add("fail");
          return done.size === 2;
        },
      );
      const names = seen.filter((e) => e.data.id === retry!.id).map((e) => e.name);
      expect(names).toContain("task-started");
      expect(names).toContain("task-retried");
      expect(names.at(-1)).toBe("task-succeeded");
      const failed = seen.find((e) => e.data.id === fail!.id && e.name === "task-failed");
      expect(failed?.data).toMatchObject({ state: "FAILURE", error: { type: "DemoError", message: "events" } });
    } finally {
      controller.abort();
    }
  });
});

describe("GET /v1/events: every event of a task, in order", () => {
  it("received, started (without track_started), one progress per update_state, succeeded", async () => {
    let h: Handle | undefined;
    const seen = await watchEvents(
      async () => {
        h = await send("demo.progress", { args: [3, 20] });
      },
      (name, data) => name === "task-succeeded" && data.id === h?.id,
    );
    const mine = seen.filter((e) => e.data.id === h!.id);
    expect(mine.map((e) => e.name)).toEqual(["task-received", "task-started", "task-progress", "task-progress", "task-progress", "task-succeeded"]);
    expect(mine[0]!.data).toMatchObject({ id: h!.id, state: "RECEIVED", task: "demo.progress" });
    expect(mine[1]!.data).toMatchObject({ id: h!.id, state: "STARTED", task: "demo.progress" });
    expect(mine.slice(2, 5).map((e) => [e.data.state, e.data.meta])).toEqual([1, 2, 3].map((current) => ["PROGRESS", { current, total: 3 }]));
    expect(mine[5]!.data).toMatchObject({ state: "SUCCESS", result: 3 });
  });

  it("a retried task with track_started: each run is received and started once, then retried or succeeded", async () => {
    let h: Handle | undefined;
    const seen = await watchEvents(
      async () => {
        h = await send("demo.retry_until", { args: [2], options: { track_started: true } });
      },
      (name, data) => name === "task-succeeded" && data.id === h?.id,
    );
    expect(seen.filter((e) => e.data.id === h!.id).map((e) => e.name)).toEqual([
      "task-received", "task-started", "task-retried", "task-received", "task-started", "task-succeeded",
    ]);
  });

  it("a value kept in R2 comes in its event as GET /v1/results/:id reads it, not as the signed pointer", async () => {
    let h: Handle | undefined;
    const seen = await watchEvents(
      async () => {
        h = await send("demo.blob", { args: [1_100_000] });
      },
      (name, data) => name === "task-succeeded" && data.id === h?.id,
    );
    const done = seen.find((e) => e.name === "task-succeeded" && e.data.id === h!.id)!;
    expect(typeof done.data.result).toBe("string");
    expect(done.data.result.length).toBe(1_100_000);
    expect(JSON.stringify(done.data)).not.toContain("$edgery_r2");
  });

  it("a failed task: received, started, failed", async () => {
    let h: Handle | undefined;
    const seen = await watchEvents(
      async () => {
        h = await send("demo.fail", { args: ["watched"], options: { max_retries: 0 } });
      },
      (name, data) => name === "task-failed" && data.id === h?.id,
    );
    expect(seen.filter((e) => e.data.id === h!.id).map((e) => e.name)).toEqual(["task-received", "task-started", "task-failed"]);
  });
});

describe("dead letters", () => {
  it("lists a task that failed for good, and replay enqueues the same signature with a new id", async () => {
    const message = uniq("dead");
    const h = await send("demo.fail", { args: [message], kwargs: {}, options: { max_retries: 0, priority: 3 } });
    expect((await waitResult(h.id)).state).toBe("FAILURE");

    const list = await api<{ items: DeadLetterItem[]; cursor: string | null }>("GET", "/v1/dead-letters?queue=default&limit=1000");
    expect(list.status, describeRes(list)).toBe(200);
    const item = list.json.items.find((i) => i.id === h.id);
    expect(item, describeRes(list)).toMatchObject({
      id: h.id,
      task: "demo.fail",
      queue: "default",
      error: { type: "DemoError", message },
      signature: { task: "demo.fail", args: [message], kwargs: {}, options: { queue: "default", priority: 3, max_retries: 0 } },
    });
    expect(Number.isNaN(Date.parse(item!.failed_at))).toBe(false);

    const replay = await api<Handle>("POST", `/v1/dead-letters/${encodeURIComponent(h.id)}/replay`);
    expect(replay.status, describeRes(replay)).toBe(202);
    expect(replay.json).toMatchObject({ kind: "task" });
    expect(replay.json.id).not.toBe(h.id);
    const again = await waitResult(replay.json.id);
    expect(again).toMatchObject({ state: "FAILURE", task: "demo.fail", error: { type: "DemoError", message } });

    // Newest first: the replay's failure, then the original, paged one at a time.
    const first = await api<{ items: DeadLetterItem[]; cursor: string | null }>("GET", "/v1/dead-letters?limit=1");
    expect(first.status, describeRes(first)).toBe(200);
    expect(first.json.items.map((i) => i.id)).toEqual([replay.json.id]);
    expect(first.json.cursor).toBeTypeOf("string");
    const second = await api<{ items: DeadLetterItem[]; cursor: string | null }>("GET", `/v1/dead-letters?limit=1&cursor=${encodeURIComponent(first.json.cursor!)}`);
    expect(second.status, describeRes(second)).toBe(200);
    expect(second.json.items.map((i) => i.id)).toEqual([h.id]);
  });

  it("does not list revoked tasks", async () => {
    const q = await pausedQueue();
    const h = await send("demo.fail", { args: ["never"], options: { queue: q, max_retries: 0 } });
    const rev = await api("POST", `/v1/results/${h.id}/revoke`, {});
    expect(rev.status, describeRes(rev)).toBe(202);
    expect((await waitResult(h.id)).state).toBe("REVOKED");
    const list = await api<{ items: DeadLetterItem[]; cursor: string | null }>("GET", `/v1/dead-letters?queue=${q}`);
    expect(list.status, describeRes(list)).toBe(200);
    expect(list.json).toEqual({ items: [], cursor: null });
  });

  it("replay of an unknown id answers 404 not_found", async () => {
    expectError(await api("POST", `/v1/dead-letters/${uniq("nope")}/replay`), 404, "not_found");
  });

  it("rejects a bad limit or cursor with 422 invalid_request", async () => {
    for (const limit of ["0", "1001", "abc", "-1", "1.5"]) {
      expectError(await api("GET", `/v1/dead-letters?limit=${limit}`), 422, "invalid_request", "limit");
    }
    for (const cursor of ["%%%", "bm90LWEtY3Vyc29y", "W10"]) {
      expectError(await api("GET", `/v1/dead-letters?cursor=${cursor}`), 422, "invalid_request", "cursor");
    }
    expectError(await api("GET", "/v1/dead-letters?queue=bad%20name"), 422, "invalid_request", "queue");
  });

  it("an empty ?limit= or ?queue= is absent, as on GET /v1/results (dead letters and inspect answered 422)", async () => {
    for (const path of ["/v1/dead-letters?limit=&queue=", "/v1/inspect/active?limit=&queue=", "/v1/inspect/scheduled?queue=", "/v1/inspect/scheduled?limit=", "/v1/results?limit=&queue="]) {
      const res = await api("GET", path);
      expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBe(200);
    }
  });
});

describe("GET /v1/inspect/active", () => {
  it("gives a task begun without track_started the time its queue began it (it read started_at: null)", async () => {
    const queue = uniq("q-active");
    const before = Date.now();
    const h = await send("demo.sleep", { args: [3000], options: { queue } });
    let task: { id: string; state: string; started_at: string | null } | undefined;
    for (let i = 0; i < 50 && !task; i++) {
      const res = await api<{ tasks: Array<{ id: string; state: string; started_at: string | null }> }>("GET", `/v1/inspect/active?queue=${queue}`);
      expect(res.status, describeRes(res)).toBe(200);
      task = res.json.tasks.find((t) => t.id === h.id);
      if (!task) await new Promise((ok) => setTimeout(ok, 100));
    }
    expect(task, "the task never showed as active").toBeDefined();
    expect(task!.state).toBe("STARTED");
    expect(task!.started_at).toBeTypeOf("string");
    const at = Date.parse(task!.started_at!);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await waitResult(h.id)).state).toBe("SUCCESS");
  });
});

describe("GET /v1/schedules", () => {
  it("answers an empty list when the app registers no schedule", async () => {
    const res = await api("GET", "/v1/schedules");
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toEqual({ schedules: [] });
  });
});

describe("GET /dashboard", () => {
  it("serves the HTML page without a token", async () => {
    const res = await api("GET", "/dashboard", undefined, { token: null });
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain("<title>edgery dashboard</title>");
    expect(res.text).toContain('id="token"');
  });
});

describe("auth and methods of the operations routes", () => {
  const routes: Array<[string, string]> = [
    ["GET", "/v1/metrics"],
    ["GET", "/v1/events"],
    ["GET", "/v1/dead-letters"],
    ["POST", "/v1/dead-letters/some-id/replay"],
    ["GET", "/v1/schedules"],
  ];

  it("answers 401 unauthorized without a token or with a wrong one", async () => {
    for (const [method, path] of routes) {
      expectError(await api(method, path, undefined, { token: null }), 401, "unauthorized");
      expectError(await api(method, path, undefined, { token: "wrong" }), 401, "unauthorized");
    }
  });

  it("answers 405 method_not_allowed for a wrong method", async () => {
    const wrong: Array<[string, string]> = [
      ["POST", "/v1/metrics"],
      ["DELETE", "/v1/events"],
      ["POST", "/v1/dead-letters"],
      ["GET", "/v1/dead-letters/some-id/replay"],
      ["PUT", "/v1/schedules"],
      ["POST", "/dashboard"],
    ];
    for (const [method, path] of wrong) expectError(await api(method, path), 405, "method_not_allowed");
  });
});
