import { describe, expect, it } from "vitest";
import { Signature, sig, si, signature, toWireOptions } from "../../client/index.js";
import { parseSignature, toWire } from "../../src/protocol/index.js";

describe("signature wire JSON", () => {
  it("sig() gives Python's dict(add.s(2, 2)) key for key", () => {
    expect(sig("demo.add", 2, 2).toJSON()).toStrictEqual({
      task: "demo.add",
      args: [2, 2],
      kwargs: {},
      options: {},
      subtask_type: null,
      immutable: false,
    });
    expect(Object.keys(sig("demo.add").toJSON())).toEqual(["task", "args", "kwargs", "options", "subtask_type", "immutable"]);
  });

  it("si() is immutable", () => {
    const s = si("demo.noop");
    expect(s.immutable).toBe(true);
    expect(s.toJSON()).toMatchObject({ task: "demo.noop", args: [], immutable: true });
  });

  it("signature(name, args, kwargs, options) like the guide's signature('app.tasks.send_email', ...)", () => {
    const s = signature("app.tasks.send_email", ["user@example.com"], { template: "welcome" }, { queue: "email", immutable: true });
    expect(s.toJSON()).toStrictEqual({
      task: "app.tasks.send_email",
      args: ["user@example.com"],
      kwargs: { template: "welcome" },
      options: { queue: "email" },
      subtask_type: null,
      immutable: true,
    });
  });

  it("JSON.stringify uses toJSON", () => {
    expect(JSON.parse(JSON.stringify({ s: sig("demo.add", 1) }))).toEqual({ s: sig("demo.add", 1).toJSON() });
  });

  it("the server's parser accepts it and writes it back the same", () => {
    const json = sig("demo.add", 2).set({ priority: 5, queue: "math" }).link(sig("demo.identity")).toJSON();
    expect(toWire(parseSignature(json))).toEqual(json);
  });

  it("rejects a missing task name and non-array args", () => {
    expect(() => sig("")).toThrow(TypeError);
    expect(() => new Signature("demo.add", "x" as unknown as unknown[])).toThrow(/args/);
  });
});

describe("options", () => {
  it("set() converts camelCase options to Celery's wire names and returns a new signature", () => {
    const eta = new Date("2030-01-02T03:04:05.000Z");
    const base = sig("demo.add", 1, 2);
    const s = base.set({
      queue: "math",
      routingKey: "rk",
      priority: 9,
      eta,
      expires: new Date("2030-01-03T00:00:00.000Z"),
      taskId: "t-1",
      softTimeLimit: 1,
      timeLimit: 2,
      maxRetries: 3,
      acksLate: true,
      ignoreResult: false,
      resultExpires: 60,
      trackStarted: true,
    });
    expect(s.toJSON().options).toStrictEqual({
      queue: "math",
      routing_key: "rk",
      priority: 9,
      eta: "2030-01-02T03:04:05.000Z",
      expires: "2030-01-03T00:00:00.000Z",
      task_id: "t-1",
      soft_time_limit: 1,
      time_limit: 2,
      max_retries: 3,
      acks_late: true,
      ignore_result: false,
      result_expires: 60,
      track_started: true,
    });
    expect(base.options).toEqual({});
  });

  it("merges over earlier options and passes wire names through", () => {
    const s = sig("demo.add").set({ queue: "a", countdown: 5 }).set({ queue: "b", routing_key: "x", expires: 30 });
    expect(s.options).toEqual({ queue: "b", countdown: 5, routing_key: "x", expires: 30 });
  });

  it("throws TypeError for invalid values", () => {
    expect(() => sig("demo.add").set({ priority: 10 })).toThrow(TypeError);
    expect(() => sig("demo.add").set({ priority: 1.5 })).toThrow(/priority/);
    expect(() => sig("demo.add").set({ countdown: -1 })).toThrow(/countdown/);
    expect(() => toWireOptions({ eta: new Date("nope") })).toThrow(/eta/);
  });
});

describe("partials and immutability (Celery's clone)", () => {
  it("prepends call-time args and lets call-time kwargs win", () => {
    const s = sig("demo.echo", 1).set({ queue: "q" }).partial([2, 3], { a: 1 });
    const t = new Signature("demo.echo", [1], { a: 0, b: 2 }).clone({ args: [2, 3], kwargs: { a: 1 }, options: { priority: 3 } });
    expect(s.args).toEqual([2, 3, 1]);
    expect(s.options).toEqual({ queue: "q" });
    expect(t.args).toEqual([2, 3, 1]);
    expect(t.kwargs).toEqual({ a: 1, b: 2 });
    expect(t.options).toEqual({ priority: 3 });
  });

  it("an immutable signature ignores extra args and kwargs but merges options", () => {
    const s = si("demo.echo", 1).clone({ args: [2], kwargs: { a: 1 }, options: { queue: "q" } });
    expect(s.args).toEqual([1]);
    expect(s.kwargs).toEqual({});
    expect(s.options).toEqual({ queue: "q" });
    expect(s.immutable).toBe(true);
  });

  it("clone does not change the original", () => {
    const s = sig("demo.echo", 1);
    s.clone({ args: [0] });
    expect(s.args).toEqual([1]);
  });

  it("replace() replaces args, kwargs and options wholesale", () => {
    const s = new Signature("demo.echo", [1], { a: 1 }, { queue: "q" }).replace({ args: [9], options: { priority: 1 } });
    expect(s.toJSON()).toMatchObject({ args: [9], kwargs: { a: 1 }, options: { priority: 1 } });
  });
});

describe("callbacks", () => {
  it("link() and linkError() append to lists and return new signatures", () => {
    const base = sig("demo.add", 2, 2);
    const s = base.link(sig("demo.identity")).link(si("demo.noop")).linkError(sig("demo.echo", "err"));
    expect(base.options.link).toBeUndefined();
    const json = s.toJSON();
    expect(json.options.link).toEqual([sig("demo.identity").toJSON(), si("demo.noop").toJSON()]);
    expect(json.options.link_error).toEqual([sig("demo.echo", "err").toJSON()]);
  });

  it("set({ link }) replaces the callbacks (a single one becomes a list)", () => {
    const s = sig("demo.add").link(sig("a")).set({ link: sig("b"), linkError: [sig("c")] });
    expect(s.toJSON().options).toEqual({ link: [sig("b").toJSON()], link_error: [sig("c").toJSON()] });
  });

  it("toJSON throws TypeError for a signature that contains itself", () => {
    const s = sig("demo.add");
    (s.options as { link?: unknown[] }).link = [s];
    expect(() => s.toJSON()).toThrow(/contains itself/);
  });

  it("the same signature twice (not a cycle) is fine", () => {
    const cb = sig("demo.identity");
    expect(sig("demo.add").link(cb).link(cb).toJSON().options.link).toHaveLength(2);
  });
});
