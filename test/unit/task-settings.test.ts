// Unit tests of src/app/task-settings.ts: the one place per-task settings are resolved.
import { describe, expect, it } from "vitest";
import { App } from "../../src/app/app.js";
import { canvasExpiresS, placementOf, queueOf, runSettingsOf } from "../../src/app/task-settings.js";
import { DEFAULT_MAX_RETRIES, DEFAULT_QUEUE, DEFAULT_RESULT_EXPIRES_S, type Canvas } from "../../src/protocol/index.js";

const noop = () => null;
const task = (name: string, options: Record<string, unknown> = {}): Canvas => ({ kind: "task", name, args: [], kwargs: {}, options, immutable: false });

describe("runSettingsOf: result_expires", () => {
  const app = new App({ name: "t", defaults: { result_expires: 500 } }).task("own", noop, { result_expires: 30 }).task("plain", noop);

  it("call-time (the message's) beats the task's, which beats the app's, which beats the global default", () => {
    expect(runSettingsOf(app, { task: "own", options: { result_expires: 7 } }).resultExpiresS).toBe(7);
    expect(runSettingsOf(app, { task: "own", options: {} }).resultExpiresS).toBe(30);
    expect(runSettingsOf(app, { task: "plain", options: {} }).resultExpiresS).toBe(500);
    expect(runSettingsOf(new App({ name: "x" }), { task: "plain", options: {} }).resultExpiresS).toBe(DEFAULT_RESULT_EXPIRES_S);
    expect(runSettingsOf(undefined, { task: "own", options: {} }).resultExpiresS).toBe(DEFAULT_RESULT_EXPIRES_S);
  });

  it("is kept exactly as configured: a value under KV's 60 s minimum is not raised", () => {
    expect(runSettingsOf(app, { task: "own", options: { result_expires: 1 } }).resultExpiresS).toBe(1);
  });
});

describe("runSettingsOf: the worker's settings", () => {
  const app = new App({ name: "t", defaults: { time_limit: 100, track_started: true, max_retries: 9 } })
    .task("own", noop, { time_limit: 10, soft_time_limit: 5, acks_late: true, max_retries: null })
    .task("plain", noop);

  it("time limits: the message's, else the task's, else the app's", () => {
    expect(runSettingsOf(app, { task: "own", options: { time_limit: 2 } })).toMatchObject({ hardMs: 2000, softMs: 5000 });
    expect(runSettingsOf(app, { task: "own", options: {} })).toMatchObject({ hardMs: 10_000, softMs: 5000 });
    expect(runSettingsOf(app, { task: "plain", options: {} })).toMatchObject({ hardMs: 100_000, softMs: null });
  });

  it("acks_late, track_started and max_retries by the same rule", () => {
    expect(runSettingsOf(app, { task: "own", options: {} })).toMatchObject({ acksLate: true, trackStarted: true, maxRetries: null });
    expect(runSettingsOf(app, { task: "own", options: { acks_late: false, track_started: false, max_retries: 1 } })).toMatchObject({ acksLate: false, trackStarted: false, maxRetries: 1 });
    expect(runSettingsOf(app, { task: "plain", options: {} })).toMatchObject({ acksLate: false, maxRetries: 9 });
    expect(runSettingsOf(new App({ name: "x" }), { task: "plain", options: {} }).maxRetries).toBe(DEFAULT_MAX_RETRIES);
  });
});

describe("placementOf / queueOf", () => {
  const app = new App({ name: "t", routes: { "r.*": { queue: "routed", priority: 3, rate_limit: "5/s" } } })
    .task("r.x", noop, { queue: "own" })
    .task("p", noop, { queue: "own", priority: 2 });

  it("the call's queue and priority, else the route's, else the task's, else the default", () => {
    expect(placementOf(app, "r.x", { queue: "q", priority: 9 }, {})).toMatchObject({ queue: "q", priority: 9 });
    expect(placementOf(app, "r.x", {}, {})).toMatchObject({ queue: "routed", priority: 3 });
    expect(placementOf(app, "p", {}, {})).toMatchObject({ queue: "own", priority: 2 });
    expect(placementOf(app, "other", {}, {})).toMatchObject({ queue: DEFAULT_QUEUE, priority: 0 });
    expect(queueOf(app, "r.x")).toBe("routed");
    expect(queueOf(app, "p")).toBe("own");
  });

  it("call-time message options win over the route's rate limit, and are not changed", () => {
    const call = { rate_limit: "1/m" };
    expect(placementOf(app, "r.x", {}, call).options).toMatchObject({ rate_limit: "1/m" });
    expect(placementOf(app, "r.x", {}, {}).options).toMatchObject({ rate_limit: "5/s" });
    expect(call).toStrictEqual({ rate_limit: "1/m" });
  });
});

describe("canvasExpiresS", () => {
  const app = new App({ name: "t" }).task("short", noop, { result_expires: 5 }).task("long", noop, { result_expires: 900 });

  it("the longest of the canvas's tasks: own option, else inherited from the canvas, else the task's settings", () => {
    const group = (tasks: Canvas[], options = {}): Canvas => ({ kind: "group", tasks, args: [], kwargs: {}, options, immutable: false });
    expect(canvasExpiresS(app, group([task("short"), task("long")]))).toBe(900);
    expect(canvasExpiresS(app, group([task("short"), task("long")], { result_expires: 60 }))).toBe(60);
    expect(canvasExpiresS(app, group([task("short"), task("long", { result_expires: 2 })], { result_expires: 60 }))).toBe(60);
    expect(canvasExpiresS(app, group([task("short"), task("long", { result_expires: 2 })]))).toBe(5);
    expect(canvasExpiresS(app, task("unknown"))).toBe(DEFAULT_RESULT_EXPIRES_S);
    const chord: Canvas = { kind: "chord", header: [task("short")], body: task("long"), args: [], kwargs: {}, options: {}, immutable: false };
    expect(canvasExpiresS(app, chord)).toBe(900);
  });

  it("an empty group or chain lives as long as the app keeps results (was 0: its group record expired at once and read 404)", () => {
    const empty = (kind: "group" | "chain", options = {}): Canvas => ({ kind, tasks: [], args: [], kwargs: {}, options, immutable: false });
    expect(canvasExpiresS(app, empty("group"))).toBe(DEFAULT_RESULT_EXPIRES_S);
    expect(canvasExpiresS(app, empty("chain"))).toBe(DEFAULT_RESULT_EXPIRES_S);
    expect(canvasExpiresS(app, empty("group", { result_expires: 70 }))).toBe(70);
    expect(canvasExpiresS(new App({ name: "d", defaults: { result_expires: 123 } }), empty("group"))).toBe(123);
  });
});

describe("placementOf: task and app defaults reach the message", () => {
  const app = new App({ name: "t", defaults: { acks_late: true, time_limit: 100, result_expires: 500, track_started: true } })
    .task("own", noop, { acks_late: false, time_limit: 10, soft_time_limit: 5, max_retries: null, ignore_result: true, result_expires: 30 })
    .task("plain", noop);

  it("the task's own defaults beat the app's", () => {
    expect(placementOf(app, "own", {}, {}).options).toStrictEqual({
      acks_late: false,
      time_limit: 10,
      soft_time_limit: 5,
      max_retries: null,
      ignore_result: true,
      result_expires: 30,
      track_started: true,
    });
  });

  it("the app's defaults where the task sets none", () => {
    expect(placementOf(app, "plain", {}, {}).options).toStrictEqual({ acks_late: true, time_limit: 100, result_expires: 500, track_started: true });
  });

  it("call-time options beat both", () => {
    const call = { acks_late: true, time_limit: 1, soft_time_limit: 0.5, max_retries: 2, ignore_result: false, result_expires: 3, track_started: false };
    expect(placementOf(app, "own", {}, call).options).toStrictEqual(call);
  });

  it("nothing configured: nothing added (the global defaults apply where the message is read)", () => {
    expect(placementOf(new App({ name: "x" }), "plain", {}, {}).options).toStrictEqual({});
  });

  it("rate_limit, priority and queue from the defaults; the call's win", () => {
    const a = new App({ name: "x", defaults: { priority: 1 } }).task("r", noop, { rate_limit: "2/s", rate_limit_key: "tenant", queue: "own" });
    expect(placementOf(a, "r", {}, {})).toStrictEqual({ queue: "own", priority: 1, options: { rate_limit: "2/s", rate_limit_key: "tenant" } });
    expect(placementOf(a, "r", { queue: "q", priority: 8 }, { rate_limit: "9/m" })).toStrictEqual({ queue: "q", priority: 8, options: { rate_limit: "9/m", rate_limit_key: "tenant" } });
  });
});

describe("retry policy settings: the task's beat the app's", () => {
  it("retry_backoff, autoretry_for and default_retry_delay come merged into the worker's defaults", () => {
    const app = new App({ name: "t", defaults: { retry_backoff: 5, autoretry_for: ["IOError"], default_retry_delay: 9 } })
      .task("own", noop, { retry_backoff: true, autoretry_for: ["KeyError"] })
      .task("plain", noop);
    expect(runSettingsOf(app, { task: "own", options: {} }).defaults).toMatchObject({ retry_backoff: true, autoretry_for: ["KeyError"], default_retry_delay: 9 });
    expect(runSettingsOf(app, { task: "plain", options: {} }).defaults).toMatchObject({ retry_backoff: 5, autoretry_for: ["IOError"], default_retry_delay: 9 });
  });
});

describe("routing_key", () => {
  const app = new App({ name: "t", routes: { "mail.*": { queue: "mail", routing_key: "mail.out" } } });

  it("the route's reaches the message; a call-time one wins", () => {
    expect(placementOf(app, "mail.send", {}, {}).options).toStrictEqual({ routing_key: "mail.out" });
    expect(placementOf(app, "mail.send", {}, { routing_key: "mail.urgent" }).options).toStrictEqual({ routing_key: "mail.urgent" });
    expect(placementOf(app, "other", {}, {}).options).toStrictEqual({});
  });
});

describe("routing_key reaches delivery_info", () => {
  it("a task routed with a routing_key sees it in ctx.deliveryInfo", async () => {
    const { prepare } = await import("../../src/apply/prepare.js");
    const { runTask, TaskAbort } = await import("../../src/worker/execute.js");
    const { parseSignature } = await import("../../src/protocol/index.js");
    const app = new App({ name: "t", routes: { "mail.*": { queue: "mail", routing_key: "mail.out" } } }).task("mail.send", (c) => c.deliveryInfo);
    const [m] = prepare(app, [{ canvas: parseSignature({ task: "mail.send" }), path: "" }]).messages;
    const ran = await runTask(app, { lease: "", deadline: 0, redelivered: false, message: m! }, new TaskAbort(), {
      updateState: async () => undefined,
      acknowledge: async () => undefined,
      apply: async () => expect.unreachable(),
    });
    expect(ran).toMatchObject({ kind: "success", value: { exchange: "", routing_key: "mail.out", priority: 0, redelivered: false } });
  });
});

describe("automatic and asked-for retries through runTask", () => {
  async function run(app: App, task: string) {
    const { prepare } = await import("../../src/apply/prepare.js");
    const { runTask, TaskAbort } = await import("../../src/worker/execute.js");
    const { parseSignature } = await import("../../src/protocol/index.js");
    const [m] = prepare(app, [{ canvas: parseSignature({ task }), path: "" }]).messages;
    return runTask(app, { lease: "", deadline: 0, redelivered: false, message: m! }, new TaskAbort(), {
      updateState: async () => undefined,
      acknowledge: async () => undefined,
      apply: async () => expect.unreachable(),
    });
  }

  it("what a task sends itself is in its ending's children, also when it then fails", async () => {
    const { prepare } = await import("../../src/apply/prepare.js");
    const { runTask, TaskAbort } = await import("../../src/worker/execute.js");
    const { parseSignature } = await import("../../src/protocol/index.js");
    const app = new App({ name: "t" })
      .task("t.fan", async (c) => {
        await c.send("t.fan");
        await c.apply({ task: "t.fan" });
        throw new Error("after sending two");
      });
    const [m] = prepare(app, [{ canvas: parseSignature({ task: "t.fan" }), path: "" }]).messages;
    let n = 0;
    const ran = await runTask(app, { lease: "", deadline: 0, redelivered: false, message: m! }, new TaskAbort(), {
      updateState: async () => undefined,
      acknowledge: async () => undefined,
      apply: async () => ({ id: `child-${++n}`, kind: "task" as const }),
    });
    expect(ran).toMatchObject({ kind: "failure", state: "FAILURE", children: ["child-1", "child-2"] });
  });

  it("autoretry_for ['Error'] retries a TypeError (a subclass), with the backoff", async () => {
    const app = new App({ name: "t" }).task(
      "t.flaky",
      () => {
        throw new TypeError("boom");
      },
      { autoretry_for: ["Error"], retry_backoff: 2, retry_jitter: false },
    );
    expect(await run(app, "t.flaky")).toMatchObject({ kind: "retry", countdownS: 2, error: { type: "TypeError", message: "boom" } });
  });

  it("ctx.retry() without a countdown on a task with retry_backoff waits default_retry_delay", async () => {
    const app = new App({ name: "t" }).task(
      "t.asks",
      (c) => {
        throw c.retry();
      },
      { retry_backoff: 1, retry_jitter: false, default_retry_delay: 4 },
    );
    expect(await run(app, "t.asks")).toMatchObject({ kind: "retry", countdownS: 4 });
  });
});
