// Unit tests of src/canvas/effects.ts (what a finished task sets in motion) and of
// batchEffects in src/apply/run-effects.ts (effects sorted by receiver).
import { describe, expect, it } from "vitest";
import { parseSignature, type Canvas, type TaskErrorInfo } from "../../src/protocol/index.js";
import { assignIds } from "../../src/canvas/ids.js";
import { failureEffects, outcomeEffects, type Effect } from "../../src/canvas/effects.js";
import type { Outcome } from "../../src/protocol/outcome.js";
import { plan, rootInherit, type PlanEnv } from "../../src/canvas/plan.js";
import { batchEffects } from "../../src/apply/run-effects.js";
import type { TaskMessage } from "../../src/protocol/message.js";
import { message as taskMessage } from "../brokers/conformance.js";

const env: PlanEnv = { now: 1_000_000, place: (_t, o, options) => ({ queue: o.queue ?? "default", priority: o.priority ?? 0, options }) };
const sig = (task: string, id: string, args: unknown[] = [], extra: Record<string, unknown> = {}): Canvas =>
  assignIds(parseSignature({ task, args, options: { task_id: id }, ...extra }));

/** Task M (demo.add(1, 2), retried once) of group G under parent P, root R, stamped s=1. */
function message(over: Partial<TaskMessage> = {}): TaskMessage {
  return taskMessage("default", "demo.add", [1, 2], { id: "M", retries: 1, stamps: { s: 1 }, parent_id: "P", root_id: "R", group_id: "G", group_index: 0, ...over });
}

const success: Outcome = { kind: "success", value: 3, worker: "w1", startedAt: 10, doneAt: 20 };
const error: TaskErrorInfo = { type: "DemoError", message: "boom" };
const failure: Outcome = { kind: "failure", state: "FAILURE", error, worker: "w1", startedAt: 10, doneAt: 20 };

const of = <K extends Effect["kind"]>(effects: Effect[], kind: K) => effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);

describe("success", () => {
  it("stores SUCCESS with the message's fields", () => {
    const effects = outcomeEffects(message(), success, 3600);
    expect(effects).toStrictEqual([
      {
        kind: "store",
        write: {
          id: "M",
          task: "demo.add",
          queue: "default",
          worker: "w1",
          retries: 1,
          parent_id: "P",
          group_id: "G",
          started_at: 10,
          date_done: 20,
          expires_s: 3600,
          state: "SUCCESS",
          result: 3,
          error: null,
        },
      },
    ]);
  });

  it("ignore_result → no store", () => {
    expect(of(outcomeEffects(message({ options: { ignore_result: true } }), success, 60), "store")).toStrictEqual([]);
  });

  it("ignore_result → a failure is not stored either (the id reads PENDING), but its chord still learns", () => {
    const effects = outcomeEffects(message({ options: { ignore_result: true }, chord: { id: "CH", index: 0 } }), failure, 60);
    expect(of(effects, "store")).toStrictEqual([]);
    expect(of(effects, "chord").map((e) => e.report.ok)).toStrictEqual([false]);
  });

  it("with a chain: the rest is applied with prepend [value], the chord ref carried, no chord report yet", () => {
    const rest = [sig("b", "B", [1]), sig("c", "C")];
    const effects = outcomeEffects(message({ chain: rest, chord: { id: "CH", index: 2 } }), success, 60);
    expect(of(effects, "chord")).toStrictEqual([]);
    const [apply, ...more] = of(effects, "apply");
    expect(more).toStrictEqual([]);
    expect(apply?.canvas).toMatchObject({ kind: "chain", tasks: rest });
    expect(apply?.inherit).toMatchObject({ prepend: [3], chord: { id: "CH", index: 2 }, parentId: "M", rootId: "R", rest: [], kwargs: {} });
    const p = plan(apply!.canvas, apply!.inherit, env);
    expect(p.messages.map((m) => [m.id, m.args, m.chord, m.parent_id, m.root_id])).toStrictEqual([["B", [3, 1], { id: "CH", index: 2 }, "M", "R"]]);
  });

  it("with a chord and no chain: a chord report", () => {
    const effects = outcomeEffects(message({ chord: { id: "CH", index: 4 } }), success, 60);
    expect(of(effects, "chord")).toStrictEqual([{ kind: "chord", chordId: "CH", report: { index: 4, memberId: "M", ok: true, value: 3 } }]);
    expect(of(effects, "apply")).toStrictEqual([]);
  });

  it("link callbacks get [value] prepended, parent = the task", () => {
    const effects = outcomeEffects(message({ link: [sig("cb", "CB", [9]), sig("cb2", "CB2", [], { immutable: true })], link_error: [sig("eb", "EB")] }), success, 60);
    const applies = of(effects, "apply");
    expect(applies).toHaveLength(2);
    const msgs = applies.flatMap((a) => plan(a.canvas, a.inherit, env).messages);
    expect(msgs.map((m) => [m.id, m.args, m.parent_id, m.root_id, m.stamps])).toStrictEqual([
      ["CB", [3, 9], "M", "R", { s: 1 }],
      ["CB2", [], "M", "R", { s: 1 }],
    ]);
  });

  it("a null result is passed on as null", () => {
    const effects = outcomeEffects(message({ link: [sig("cb", "CB")] }), { ...success, value: null }, 60);
    expect(of(effects, "apply")[0]?.inherit.prepend).toStrictEqual([null]);
  });
});

describe("failure", () => {
  it("stores FAILURE with the error", () => {
    const [store] = of(outcomeEffects(message(), failure, 60), "store");
    expect(store?.write).toMatchObject({ id: "M", state: "FAILURE", error, result: null, worker: "w1", date_done: 20 });
  });

  it("the rest of the chain is stored with the same state and error; nothing applied", () => {
    const rest = [sig("b", "B"), assignIds(parseSignature({ task: "celery.group", kwargs: { tasks: [{ task: "c", options: { task_id: "C1" } }, { task: "c", options: { task_id: "C2" } }] } }))];
    const effects = outcomeEffects(message({ chain: rest }), failure, 60);
    expect(of(effects, "store").map((s) => [s.write.id, s.write.state, s.write.error])).toStrictEqual([
      ["M", "FAILURE", error],
      ["B", "FAILURE", error],
      ["C1", "FAILURE", error],
      ["C2", "FAILURE", error],
    ]);
    expect(of(effects, "store")[1]?.write).toMatchObject({ parent_id: "M", date_done: 20, expires_s: 60, result: null });
    expect(of(effects, "apply")).toStrictEqual([]);
  });

  it("REVOKED propagates as REVOKED", () => {
    const effects = outcomeEffects(message({ chain: [sig("b", "B")] }), { ...failure, state: "REVOKED", error: { type: "TaskRevokedError", message: "revoked" } }, 60);
    expect(of(effects, "store").map((s) => s.write.state)).toStrictEqual(["REVOKED", "REVOKED"]);
  });

  it("REVOKED calls no errbacks (Celery's mark_as_revoked), but still reports to the chord", () => {
    const revoked = { ...failure, state: "REVOKED" as const, error: { type: "TaskRevokedError", message: "revoked" } };
    const effects = outcomeEffects(message({ chord: { id: "CH", index: 0 }, link_error: [sig("eb", "EB")] }), revoked, 60);
    expect(of(effects, "apply")).toStrictEqual([]);
    expect(of(effects, "chord")).toHaveLength(1);
  });

  it("a chord member's failure is reported to the chord", () => {
    const effects = outcomeEffects(message({ chord: { id: "CH", index: 1 }, chain: [sig("b", "B")] }), failure, 60);
    expect(of(effects, "chord")).toStrictEqual([{ kind: "chord", chordId: "CH", report: { index: 1, memberId: "M", ok: false, error } }]);
  });

  it("link_error errbacks get [{id}, {type, message}] before their own args; link callbacks do not run", () => {
    const effects = outcomeEffects(message({ link: [sig("cb", "CB")], link_error: [sig("eb", "EB", ["mine"])] }), failure, 60);
    const applies = of(effects, "apply");
    expect(applies).toHaveLength(1);
    expect(applies[0]?.inherit.prepend).toStrictEqual([{ id: "M" }, { type: "DemoError", message: "boom" }]);
    const [m] = plan(applies[0]!.canvas, applies[0]!.inherit, env).messages;
    expect(m?.args).toStrictEqual([{ id: "M" }, error, "mine"]);
    expect(m?.parent_id).toBe("M");
  });

  it("failureEffects on its own (a chord body that cannot run)", () => {
    const effects = failureEffects(
      { id: "BODY", rest: [sig("n", "N")], chord: { id: "OUT", index: 0 }, linkError: [sig("eb", "EB")], inherit: rootInherit() },
      "FAILURE",
      { type: "ChordError", message: "member X failed" },
      99,
      60,
    );
    expect(effects.map((e) => e.kind)).toStrictEqual(["store", "chord", "apply"]);
    expect(of(effects, "store")[0]?.write).toMatchObject({ id: "N", state: "FAILURE", parent_id: "BODY", date_done: 99 });
  });
});

describe("batchEffects", () => {
  it("sorts effects by receiver and plans the applies", () => {
    const msg = message({ chain: [sig("b", "B")], chord: null, link: [sig("cb", "CB", [], { options: { task_id: "CB", queue: "cbq" } })] });
    const effects: Effect[] = [...outcomeEffects(msg, success, 60), { kind: "chord", chordId: "CH", report: { index: 0, memberId: "X", ok: true, value: 1 } }];
    const batch = batchEffects(effects, env);
    expect(batch.writes.map((w) => w.id)).toStrictEqual(["M"]);
    expect(batch.messages.map((m) => [m.id, m.queue, m.args])).toStrictEqual([
      ["B", "default", [3]],
      ["CB", "cbq", [3]],
    ]);
    expect(batch.reports).toStrictEqual([{ chordId: "CH", report: { index: 0, memberId: "X", ok: true, value: 1 } }]);
    expect(batch.chords).toStrictEqual([]);
  });

  it("an applied chord opens a ChordInit", () => {
    const chord = assignIds(parseSignature({ task: "celery.chord", kwargs: { header: [{ task: "a" }, { task: "b" }], body: { task: "s" } }, options: { chord_id: "CH" } }));
    const batch = batchEffects([{ kind: "apply", canvas: chord, inherit: rootInherit() }], env);
    expect(batch.chords.map((c) => [c.id, c.size])).toStrictEqual([["CH", 2]]);
    expect(batch.messages).toHaveLength(2);
  });
});
