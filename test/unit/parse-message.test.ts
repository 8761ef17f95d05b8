// Unit tests of src/protocol/parse-message.ts: the task messages a peer app's broker sends to the
// broker endpoint. Every message the planner makes passes (as JSON, the way it travels); a
// message of another shape is refused with the path of its first problem, before anything is
// stored (a QueueDO reads a stored message at dispatch, settle and in its alarm).
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseSignature, parseTaskMessage, parseTaskMessages, WireError } from "../../src/protocol/index.js";
import { assignIds } from "../../src/canvas/ids.js";
import { plan, rootInherit, type PlanEnv } from "../../src/canvas/plan.js";
import { readStoredMessage, type TaskMessage } from "../../src/protocol/message.js";

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const env: PlanEnv = { now: NOW, place: (_task, o, options) => ({ queue: o.queue ?? "default", priority: o.priority ?? 0, options }) };
const messagesOf = (wire: unknown): TaskMessage[] => plan(assignIds(parseSignature(wire)), rootInherit({}), env).messages;

const t = (task: string, args: unknown[] = [], options: Record<string, unknown> = {}) => ({ task, args, kwargs: {}, options });
const chain = (...tasks: unknown[]) => ({ task: "celery.chain", kwargs: { tasks }, subtask_type: "chain" });
const group = (...tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks }, subtask_type: "group" });
const chord = (header: unknown[], body: unknown) => ({ task: "celery.chord", kwargs: { header, body, kwargs: {} }, subtask_type: "chord" });

/** Canvases whose messages carry every field the planner fills: chains, callbacks, chords, options. */
const CANVASES: unknown[] = [
  t("demo.add", [1, 2], { countdown: 5, expires: 60, priority: 7, time_limit: 9, soft_time_limit: 3, acks_late: true, max_retries: 2, rate_limit: "10/s", track_started: true, result_expires: 30, ignore_result: false }),
  t("demo.add", [1, 2], { eta: "2031-01-01T00:00:00Z", link: [t("demo.echo")], link_error: [t("demo.fail")], stamps: { who: "x" }, stamped_headers: ["who"] }),
  chain(t("demo.add", [1, 2]), t("demo.mul", [3]), group(t("demo.echo"), t("demo.echo")), chord([t("demo.identity", [1])], t("demo.xsum"))),
  chord([t("demo.identity", [1]), chain(t("demo.add", [1, 1]), t("demo.mul", [2]))], chain(t("demo.xsum"), t("demo.echo"))),
  { task: "celery.map", kwargs: { task: t("demo.mul"), it: [1, 2] } },
  { task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1], [2, 2], [3, 3]], n: 2 }, options: { link: [t("demo.echo")] } },
];

/** A valid message to damage one field at a time. */
const base = (): Record<string, unknown> => JSON.parse(JSON.stringify(messagesOf(chain(t("demo.add", [1, 2], { link: [t("demo.echo")] }), t("demo.mul", [3])))[0]));

/** The WireError a call throws. */
function refusal(fn: () => unknown): WireError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WireError) return err;
    throw err;
  }
  throw new Error("accepted");
}

describe("parseTaskMessages", () => {
  it("accepts every message the planner makes, as JSON, and returns it as sent", () => {
    let n = 0;
    for (const wire of CANVASES) {
      const messages = JSON.parse(JSON.stringify(messagesOf(wire))) as TaskMessage[];
      expect(messages.length).toBeGreaterThan(0);
      expect(parseTaskMessages(messages)).toStrictEqual(messages);
      n += messages.length;
    }
    expect(n).toBe(8);
  });

  it("a celery.map or celery.starmap message without the task node or items the built-in reads is refused at its path (kwargs {} failed at run time with a TypeError)", () => {
    const map = JSON.parse(JSON.stringify(messagesOf({ task: "celery.map", kwargs: { task: t("demo.mul"), it: [1, 2] } })[0])) as Record<string, any>;
    const star = JSON.parse(JSON.stringify(messagesOf({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1]], n: 1 } })[0])) as Record<string, any>;
    expect(star.task).toBe("celery.starmap");
    for (const [m, kwargs, at] of [
      [map, {}, "messages.0.kwargs.task"],
      [map, { task: "demo.mul", it: [1] }, "messages.0.kwargs.task"],
      [map, { task: { kind: "group", name: "x" }, it: [1] }, "messages.0.kwargs.task"],
      [map, { task: { ...map.kwargs.task, options: { priority: "high" } }, it: [1] }, "messages.0.kwargs.task"],
      [map, { task: map.kwargs.task, it: 5 }, "messages.0.kwargs.it"],
      [star, { task: star.kwargs.task, it: [1, 2] }, "messages.0.kwargs.it"],
    ] as const) {
      const e = refusal(() => parseTaskMessages([{ ...m, kwargs }]));
      expect(e.code).toBe("invalid_request");
      expect(e.path).toBe(at);
    }
  });

  it("keeps a field this version does not know (a newer peer's message)", () => {
    const m = { ...base(), future_field: { x: 1 } };
    expect(parseTaskMessage(m, "messages.0")).toStrictEqual(m);
  });

  const damaged: Array<[string, (m: Record<string, unknown>) => void, string]> = [
    ["no args", (m) => delete m.args, "messages.0.args"],
    ["id with a lone surrogate", (m) => (m.id = "LS\ud800"), "messages.0.id"],
    ["root_id with a lone surrogate", (m) => (m.root_id = "\udfff"), "messages.0.root_id"],
    ["kwargs a list", (m) => (m.kwargs = []), "messages.0.kwargs"],
    ["priority a word", (m) => (m.priority = "high"), "messages.0.priority"],
    ["priority 10", (m) => (m.priority = 10), "messages.0.priority"],
    ["priority 1.5", (m) => (m.priority = 1.5), "messages.0.priority"],
    ["eta a string", (m) => (m.eta = "tomorrow"), "messages.0.eta"],
    ["eta past what a queue holds", (m) => (m.eta = Date.UTC(2200, 0, 1)), "messages.0.eta"],
    ["expires negative", (m) => (m.expires = -1), "messages.0.expires"],
    ["options a string", (m) => (m.options = "y"), "messages.0.options"],
    ["a negative time limit", (m) => (m.options = { time_limit: -1 }), "messages.0.options.time_limit"],
    ["a rate limit that is not one", (m) => (m.options = { rate_limit: "fast" }), "messages.0.options.rate_limit"],
    ["chain a string", (m) => (m.chain = "z"), "messages.0.chain"],
    ["a chain step that is not a canvas", (m) => (m.chain = [{}]), "messages.0.chain.0"],
    ["a chain step with a bad name", (m) => (m.chain = [{ kind: "task", name: "", args: [], kwargs: {}, options: {}, immutable: false }]), "messages.0.chain.0"],
    ["link a number", (m) => (m.link = 5), "messages.0.link"],
    ["link_error holding a number", (m) => (m.link_error = [5]), "messages.0.link_error.0"],
    ["chord without an index", (m) => (m.chord = { id: "c1" }), "messages.0.chord.index"],
    ["chord id a number", (m) => (m.chord = { id: 3, index: 0 }), "messages.0.chord.id"],
    ["an empty id", (m) => (m.id = ""), "messages.0.id"],
    ["an id of 256 characters", (m) => (m.id = "x".repeat(256)), "messages.0.id"],
    ["a queue name with a space", (m) => (m.queue = "a b"), "messages.0.queue"],
    ["retries negative", (m) => (m.retries = -1), "messages.0.retries"],
    ["group_index a string", (m) => (m.group_index = "0"), "messages.0.group_index"],
    ["stamps a list", (m) => (m.stamps = []), "messages.0.stamps"],
    ["no root_id", (m) => delete m.root_id, "messages.0.root_id"],
  ];
  for (const [what, damage, path] of damaged) {
    it(`refuses ${what}, at ${path}`, () => {
      const m = base();
      damage(m);
      const err = refusal(() => parseTaskMessages([m]));
      expect(err.code).toBe("invalid_request");
      expect(err.path).toBe(path);
      expect(err.message.startsWith(`${path}: `)).toBe(true);
    });
  }

  it("refuses args nested deeper than the JSON limit, naming where", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) deep = [deep];
    const m = { ...base(), args: [deep] };
    const err = refusal(() => parseTaskMessages([m]));
    expect(err.code).toBe("invalid_request");
    expect(err.path?.startsWith("messages.0.args.0")).toBe(true);
  });

  it("refuses what is not a list of objects, naming the index", () => {
    for (const value of [undefined, null, "x", { id: "a" }]) expect(refusal(() => parseTaskMessages(value)).path).toBe("messages");
    for (const bad of [null, 5, "m", []]) expect(refusal(() => parseTaskMessages([base(), bad])).path).toBe("messages.1");
  });
});

describe("readStoredMessage (what a queue reads back from a row)", () => {
  it("reads every message the planner makes, as stored", () => {
    for (const wire of CANVASES) for (const m of messagesOf(wire)) expect(readStoredMessage(JSON.stringify(m))).toStrictEqual(JSON.parse(JSON.stringify(m)));
  });

  it("is null for a row that holds something else", () => {
    const { args: _args, ...noArgs } = base();
    for (const body of ["not json", "", "null", "[1,2]", "{}", '{"id":"x","task":"demo.noop"}', JSON.stringify(noArgs), JSON.stringify({ ...base(), chord: 5 }), JSON.stringify({ ...base(), link: {} })]) {
      expect(readStoredMessage(body)).toBeNull();
    }
  });
});
