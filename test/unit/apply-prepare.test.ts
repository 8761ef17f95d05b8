// Unit tests of prepare/checkTasks in src/apply/apply.ts, with a real App: validation, sizes,
// handles, messages, chords and group records, before anything is sent.
import { describe, expect, it } from "vitest";
import { wireError } from "./wire-error.js";
import { MAX_MESSAGE_BYTES, WireError, parseSignature } from "../../src/protocol/index.js";
import { App } from "../../src/app/app.js";
import { checkTasks } from "../../src/apply/checks.js";
import { prepare } from "../../src/apply/prepare.js";
import type { ApplyItem } from "../../src/apply/apply-item.js";

const NOW = Date.UTC(2030, 0, 1);

function makeApp(): App {
  const app = new App({ name: "test", routes: { "demo.mul": { queue: "math", priority: 6 }, "remote.*": { queue: "remote" } } });
  app.task("demo.add", (_c, [x, y]) => (x as number) + (y as number));
  app.task("demo.mul", (_c, [x, y]) => (x as number) * (y as number));
  app.task("demo.xsum", (_c, [xs]) => (xs as number[]).reduce((a, b) => a + b, 0));
  app.task("demo.slow", () => null, { queue: "slow", priority: 2 });
  app.optionalTasks((a) => a.task("demo.optional", () => 1));
  return app;
}

const item = (wire: unknown, path = "", extra: Partial<ApplyItem> = {}): ApplyItem => ({ canvas: parseSignature(wire, path), path, ...extra });
const t = (task: string, args: unknown[] = [], options: Record<string, unknown> = {}) => ({ task, args, options });


describe("unknown tasks", () => {
  const app = makeApp();

  it("a bare task: unknown_task at `task`", () => {
    const e = wireError(() => prepare(app, [item(t("demo.nope"))], NOW));
    expect([e.code, e.status, e.path]).toStrictEqual(["unknown_task", 422, "task"]);
    expect(e.message).toContain("demo.nope");
  });

  it("inside a chain: kwargs.tasks.1.task", () => {
    const e = wireError(() => prepare(app, [item({ task: "celery.chain", kwargs: { tasks: [t("demo.add"), t("demo.nope")] } })], NOW));
    expect([e.code, e.path]).toStrictEqual(["unknown_task", "kwargs.tasks.1.task"]);
  });

  it("with the item's path: signatures.3.task", () => {
    const items = [0, 1, 2].map((i) => item(t("demo.add", [i, i]), `signatures.${i}`));
    const e = wireError(() => prepare(app, [...items, item(t("demo.nope"), "signatures.3")], NOW));
    expect([e.code, e.path]).toStrictEqual(["unknown_task", "signatures.3.task"]);
  });

  it("chord header, body, map task, callbacks", () => {
    const chord = (header: unknown[], body: unknown) => ({ task: "celery.chord", kwargs: { header, body } });
    expect(wireError(() => prepare(app, [item(chord([t("demo.add"), t("x.y")], t("demo.xsum")))], NOW)).path).toBe("kwargs.header.1.task");
    expect(wireError(() => prepare(app, [item(chord([t("demo.add")], t("x.y")))], NOW)).path).toBe("kwargs.body.task");
    // A header written as a group signature: the path goes through the group's own tasks.
    const groupHeader = { task: "celery.group", kwargs: { tasks: [t("demo.add"), t("x.y")] }, subtask_type: "group" };
    expect(wireError(() => prepare(app, [item(chord(groupHeader as unknown as unknown[], t("demo.xsum")), "signatures.2")], NOW)).path).toBe(
      "signatures.2.kwargs.header.kwargs.tasks.1.task",
    );
    expect(wireError(() => prepare(app, [item({ task: "celery.map", kwargs: { task: t("x.y"), it: [1] } })], NOW)).path).toBe("kwargs.task.task");
    expect(wireError(() => prepare(app, [item(t("demo.add", [], { link: [t("demo.add"), t("x.y")] }))], NOW)).path).toBe("options.link.1.task");
    expect(wireError(() => prepare(app, [item(t("demo.add", [], { link_error: [t("x.y")] }))], NOW)).path).toBe("options.link_error.0.task");
  });

  it("a task served by a route (another app's) is known; an optional task only when enabled", () => {
    expect(() => prepare(app, [item(t("remote.charge"))], NOW)).not.toThrow();
    expect(wireError(() => prepare(app, [item(t("demo.optional"))], NOW)).code).toBe("unknown_task");
    app.enableOptional(true);
    expect(() => prepare(app, [item(t("demo.optional"))], NOW)).not.toThrow();
  });

  it("checkTasks alone", () => {
    expect(() => checkTasks(app, parseSignature(t("demo.add")), "")).not.toThrow();
    expect(wireError(() => checkTasks(app, parseSignature(t("zzz")), "signature")).path).toBe("signature.task");
  });

  it("nothing is planned when any item is unknown (all or none)", () => {
    expect(() => prepare(app, [item(t("demo.add")), item(t("nope"), "signatures.1")], NOW)).toThrow(WireError);
  });
});

describe("message size", () => {
  const app = makeApp();

  it("a message over 128 KB once encoded → payload_too_large with the item's path", () => {
    const big = "x".repeat(MAX_MESSAGE_BYTES);
    const e = wireError(() => prepare(app, [item(t("demo.add", [big]), "signatures.0")], NOW));
    expect([e.code, e.status, e.path]).toStrictEqual(["payload_too_large", 413, "signatures.0"]);
    const bare = wireError(() => prepare(app, [item(t("demo.add", [big]))], NOW));
    expect([bare.code, bare.path]).toStrictEqual(["payload_too_large", undefined]);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const chars = Math.ceil(MAX_MESSAGE_BYTES / 3);
    const e = wireError(() => prepare(app, [item(t("demo.add", ["€".repeat(chars)]))], NOW));
    expect(e.code).toBe("payload_too_large");
    expect(() => prepare(app, [item(t("demo.add", ["x".repeat(chars)]))], NOW)).not.toThrow();
  });

  it("call-time args count too", () => {
    const e = wireError(() => prepare(app, [item(t("demo.add"), "", { args: ["y".repeat(MAX_MESSAGE_BYTES)] })], NOW));
    expect(e.code).toBe("payload_too_large");
  });
});

describe("prepared apply", () => {
  const app = makeApp();

  it("a task: its handle, one message routed by the app", () => {
    const p = prepare(app, [item(t("demo.mul", [2, 3], { task_id: "T" }))], NOW);
    expect(p.handles).toStrictEqual([{ id: "T", kind: "task" }]);
    expect(p.messages.map((m) => [m.id, m.queue, m.priority, m.args])).toStrictEqual([["T", "math", 6, [2, 3]]]);
    expect(p.groups).toStrictEqual([]);
    expect(p.chords).toStrictEqual([]);
  });

  it("task defaults route when no route matches; call-time values apply", () => {
    const p = prepare(app, [item(t("demo.slow", [1]), "", { args: [0], kwargs: { k: 1 }, options: { priority: 9, countdown: 2 } })], NOW);
    expect(p.messages.map((m) => [m.queue, m.priority, m.args, m.kwargs, m.eta])).toStrictEqual([["slow", 9, [0, 1], { k: 1 }, NOW + 2000]]);
  });

  it("call-time stamps are not call options", () => {
    const p = prepare(app, [item(t("demo.add"), "", { options: { stamps: { a: 1 } } })], NOW);
    expect(p.messages[0]?.stamps).toStrictEqual({});
  });

  it("a chain: last step's handle with parents; one message now", () => {
    const p = prepare(app, [item({ task: "celery.chain", kwargs: { tasks: [t("demo.add", [1, 1], { task_id: "A" }), t("demo.mul", [2], { task_id: "B" })] } })], NOW);
    expect(p.handles).toStrictEqual([{ id: "B", kind: "task", parent: { id: "A", kind: "task" } }]);
    expect(p.messages.map((m) => m.id)).toStrictEqual(["A"]);
  });

  it("a group: its handle and group record", () => {
    const p = prepare(app, [item({ task: "celery.group", kwargs: { tasks: [t("demo.add", [1, 1], { task_id: "A" }), t("demo.mul", [2, 2], { task_id: "B" })] }, options: { task_id: "G" } })], NOW);
    expect(p.handles).toStrictEqual([{ id: "G", kind: "group", results: [{ id: "A", kind: "task" }, { id: "B", kind: "task" }] }]);
    expect(p.groups).toStrictEqual([{ id: "G", members: ["A", "B"] }]);
    expect(p.messages.map((m) => [m.id, m.queue, m.group_id])).toStrictEqual([
      ["A", "default", "G"],
      ["B", "math", "G"],
    ]);
  });

  it("a chord: body handle with the header group as parent, a chord to open, a group record", () => {
    const p = prepare(
      app,
      [item({ task: "celery.chord", kwargs: { header: [t("demo.add", [1, 1], { task_id: "A" }), t("demo.add", [2, 2], { task_id: "B" })], body: t("demo.xsum", [], { task_id: "S" }) }, options: { chord_id: "C" } })],
      NOW,
    );
    expect(p.handles).toStrictEqual([{ id: "S", kind: "task", parent: { id: "C", kind: "group", results: [{ id: "A", kind: "task" }, { id: "B", kind: "task" }] } }]);
    expect(p.chords.map((c) => [c.id, c.size])).toStrictEqual([["C", 2]]);
    expect(p.groups).toStrictEqual([{ id: "C", members: ["A", "B"] }]);
    expect(p.messages.map((m) => m.id)).toStrictEqual(["A", "B"]);
  });

  it("several items: handles in order, group records collected from all", () => {
    const p = prepare(
      app,
      [
        item({ task: "celery.group", kwargs: { tasks: [t("demo.add", [], { task_id: "A" })] }, options: { task_id: "G1" } }, "signatures.0"),
        item(t("demo.add", [], { task_id: "X" }), "signatures.1"),
        item({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1], [2, 2]], n: 1 }, options: { task_id: "K" } }, "signatures.2"),
      ],
      NOW,
    );
    expect(p.handles.map((h) => h.id)).toStrictEqual(["G1", "X", "K"]);
    expect(p.groups).toStrictEqual([
      { id: "G1", members: ["A"] },
      { id: "K", members: ["K-0", "K-1"] },
    ]);
    expect(p.messages.map((m) => m.id)).toStrictEqual(["A", "X", "K-0", "K-1"]);
  });

  it("fresh ids when none are given, the same in handle and messages", () => {
    const p = prepare(app, [item({ task: "celery.group", kwargs: { tasks: [t("demo.add"), t("demo.add")] } })], NOW);
    const h = p.handles[0]!;
    expect(h.results?.map((r) => r.id)).toStrictEqual(p.messages.map((m) => m.id));
    expect(new Set(p.messages.map((m) => m.id)).size).toBe(2);
    expect(p.groups[0]?.id).toBe(h.id);
  });
});

describe("canvas limit: every planned run counts, callback copies included", () => {
  const app = makeApp();
  const group = (n: number, options: Record<string, unknown> = {}) => ({ task: "celery.group", kwargs: { tasks: Array.from({ length: n }, (_, i) => t("demo.add", [i, i])) }, options });

  it("a group of 150 linked to a group of 150 (22,650 runs from a few KB) is refused with 422", () => {
    const wire = group(150, { link: group(150) });
    expect(JSON.stringify(wire).length).toBeLessThan(20_000);
    const e = wireError(() => prepare(app, [item(wire)], NOW));
    expect([e.code, e.status]).toStrictEqual(["invalid_signature", 422]);
    expect(e.message).toContain("22650");
  });

  it("the count matches what the plan makes: a group of 40 linked to a group of 10 plans 40 + 400 runs", () => {
    const wire = group(40, { link: group(10) });
    const p = prepare(app, [item(wire)], NOW);
    const links = p.messages.reduce((n, m) => n + m.link.reduce((k, c) => k + (c.kind === "group" ? c.tasks.length : 1), 0), 0);
    expect(p.messages.length + links).toBe(440);
    // Past the limit by the copies alone (the parser counts 40 + 10 nodes).
    expect(wireError(() => prepare(app, [item(group(200, { link: group(101) }))], NOW)).status).toBe(422);
  });

  it("a chain's errbacks count once per step; call options' callbacks count too", () => {
    const chainOf = (n: number) => ({ task: "celery.chain", kwargs: { tasks: Array.from({ length: n }, () => t("demo.add", [1, 1])) }, options: { link_error: group(300) } });
    expect(wireError(() => prepare(app, [item(chainOf(70))], NOW)).status).toBe(422);
    expect(prepare(app, [item(chainOf(2))], NOW).messages).toHaveLength(1);
    expect(wireError(() => prepare(app, [item(group(200), "", { options: { link: [parseSignature(group(101))] } })], NOW)).status).toBe(422);
  });
});

describe("empty chains", () => {
  const app = makeApp();
  const chain = (...tasks: unknown[]) => ({ task: "celery.chain", kwargs: { tasks }, subtask_type: "chain" });
  const group = (...tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks }, subtask_type: "group" });
  const chord = (header: unknown[], body: unknown) => ({ task: "celery.chord", kwargs: { header, body }, subtask_type: "chord" });

  it("where a result is needed: 422 invalid_signature at the chain's kwargs.tasks", () => {
    const cases: Array<[unknown, string]> = [
      [chain(), "kwargs.tasks"],
      [chain(chain(), chain()), "kwargs.tasks"],
      [group(t("demo.add", [1, 1]), chain()), "kwargs.tasks.1.kwargs.tasks"],
      [chord([chain()], t("demo.xsum")), "kwargs.header.0.kwargs.tasks"],
      [chord([t("demo.add", [1, 1])], chain()), "kwargs.body.kwargs.tasks"],
      [chain({ ...chain(), options: { link: [t("demo.add", [1, 1])] } }), "kwargs.tasks.0.kwargs.tasks"],
    ];
    for (const [wire, path] of cases) {
      const e = wireError(() => prepare(app, [item(wire)], NOW));
      expect([e.code, e.status, e.path], JSON.stringify(wire)).toStrictEqual(["invalid_signature", 422, path]);
    }
  });

  it("an empty chain flattened into a chain's steps is nothing: the others run", () => {
    const p = prepare(app, [item(chain(t("demo.add", [1, 1]), chain(), t("demo.mul", [2])))], NOW);
    expect(p.messages.map((m) => m.task)).toStrictEqual(["demo.add"]);
    expect(p.messages[0]!.chain).toHaveLength(1);
  });
});

describe("task ids within one apply", () => {
  const app = makeApp();
  const group = (...tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks }, subtask_type: "group" });

  it("two tasks enqueued now with one id: 422 at the second's options.task_id, naming the first", () => {
    const e = wireError(() => prepare(app, [item(group(t("demo.add", [1, 1], { task_id: "same" }), t("demo.add", [2, 2], { task_id: "same" })))], NOW));
    expect([e.code, e.path]).toStrictEqual(["invalid_signature", "kwargs.tasks.1.options.task_id"]);
    expect(e.message).toContain("kwargs.tasks.0");
    const chordDup = { task: "celery.chord", kwargs: { header: [t("demo.add", [1, 1], { task_id: "h" }), t("demo.add", [1, 1], { task_id: "h" })], body: t("demo.xsum") } };
    expect(wireError(() => prepare(app, [item(chordDup)], NOW)).path).toBe("kwargs.header.1.options.task_id");
    const bulk = [0, 1].map((i) => item(t("demo.add", [i, i], { task_id: "b" }), `signatures.${i}`));
    const b = wireError(() => prepare(app, bulk, NOW));
    expect(b.path).toBe("signatures.1.options.task_id");
    expect(b.message).toContain("signatures.0");
  });

  // Steps of a chain sharing an id were taken (each is enqueued after the one before it ends), but
  // the second step's result was lost (the first final result wins) and the id was its own
  // child: now refused, see "two steps of a chain" below.
  it("distinct ids pass", () => {
    expect(prepare(app, [item(group(t("demo.add", [1, 1], { task_id: "x" }), t("demo.add", [2, 2], { task_id: "y" })))], NOW).messages).toHaveLength(2);
  });
});

describe("one id per task across the whole canvas, not only the tasks enqueued now", () => {
  const app = makeApp();
  const X = "same-id";
  const chord = (header: unknown[], body: unknown) => ({ task: "celery.chord", kwargs: { header, body } });
  const chain = (...tasks: unknown[]) => ({ task: "celery.chain", kwargs: { tasks } });

  // Each was 202: one of the two tasks' results was lost, or the canvas waited for good.
  it.each([
    ["a chord's body with a header member's id", chord([t("demo.add", [1, 1], { task_id: X }), t("demo.add", [2, 2])], t("demo.xsum", [], { task_id: X })), "kwargs.body.options.task_id"],
    ["two steps of a chain", chain(t("demo.add", [1, 1], { task_id: X }), t("demo.add", [5], { task_id: X }), t("demo.add", [100])), "kwargs.tasks.1.options.task_id"],
    ["two later steps of a chain", chain(t("demo.add", [1, 1]), t("demo.add", [5], { task_id: X }), t("demo.add", [100], { task_id: X })), "kwargs.tasks.2.options.task_id"],
    ["a link with its parent's id", t("demo.add", [1, 1], { task_id: X, link: [t("demo.add", [2], { task_id: X })] }), "options.link.0.options.task_id"],
    ["links of two steps", chain(t("demo.add", [1, 1], { link: [t("demo.add", [2], { task_id: X })] }), t("demo.add", [5], { link: [t("demo.add", [3], { task_id: X })] })), "kwargs.tasks.1.options.link.0.options.task_id"],
  ])("%s: 422 at the second", (_name, wire, path) => {
    const e = wireError(() => prepare(app, [item(wire)], NOW));
    expect([e.code, e.status, e.path]).toStrictEqual(["invalid_signature", 422, path]);
    expect(e.message).toContain(X);
  });

  it("across the items of a bulk: a plain task and a later chain step", () => {
    const items = [item(t("demo.add", [1, 1], { task_id: X }), "signatures.0"), item(chain(t("demo.add", [2, 2]), t("demo.add", [100], { task_id: X }), t("demo.add", [1000])), "signatures.1")];
    expect(wireError(() => prepare(app, items, NOW)).path).toBe("signatures.1.kwargs.tasks.1.options.task_id");
  });

  it("an errback may share an id with another errback (only a failure runs it; Celery gives every step of a chain the same errback)", () => {
    const onError = t("demo.add", [0], { task_id: X });
    const p = prepare(app, [item(chain(t("demo.add", [1, 1], { link_error: [onError] }), t("demo.add", [5], { link_error: [onError] })))], NOW);
    expect(p.messages).toHaveLength(1);
  });

  it("ids of their own everywhere are taken", () => {
    const p = prepare(app, [item(chord([t("demo.add", [1, 1], { task_id: "a" }), t("demo.add", [2, 2], { task_id: "b" })], chain(t("demo.xsum", [], { task_id: "c" }), t("demo.add", [1], { task_id: "d", link: [t("demo.add", [0], { task_id: "e" })] }))))], NOW);
    expect(p.messages.map((m) => m.id).sort()).toEqual(["a", "b"]);
  });
});

describe("tasks enqueued later with an id of the caller's (checked against their queues before the apply)", () => {
  const app = makeApp();
  const chord = (header: unknown[], body: unknown, options: Record<string, unknown> = {}) => ({ task: "celery.chord", kwargs: { header, body }, options });
  const chain = (tasks: unknown[], options: Record<string, unknown> = {}) => ({ task: "celery.chain", kwargs: { tasks }, options });

  it("lists each with the queue it will go to: inherited from its canvas, routed, or its own", () => {
    const p = prepare(
      app,
      [
        item(chain([t("demo.add", [1, 1], { task_id: "now" }), t("demo.add", [2], { task_id: "step" }), chord([t("demo.add", [1, 1])], t("demo.mul", [2], { task_id: "body" }))], { queue: "q1" })),
        item(t("demo.add", [1, 1], { link: [t("demo.add", [3], { task_id: "cb", queue: "q2" })], link_error: [t("demo.add", [0], { task_id: "eb" })] })),
      ],
      NOW,
    );
    // "now" is enqueued now (its queue checks it as it takes it). The chain's queue is a call-time
    // option its steps inherit, the chord's body too, and it wins over demo.mul's route ("math").
    expect(Object.fromEntries(p.later.map((l) => [l.id, l.queue]))).toEqual({ step: "q1", body: "q1", cb: "q2", eb: "default" });
  });

  it("a map or starmap step is one task too: its id is listed (it was left out, and a held one was taken as the held task)", () => {
    const map = { task: "celery.map", kwargs: { task: t("demo.add", [1]), it: [1, 2] }, options: { task_id: "m" } };
    const starmap = { task: "celery.starmap", kwargs: { task: t("demo.add"), it: [[1, 2]] }, options: { task_id: "s" } };
    const p = prepare(app, [item(chain([t("demo.add", [1, 1]), map, starmap]))], NOW);
    expect(p.later.map((l) => l.id).sort()).toEqual(["m", "s"]);
  });

  it("is empty when no task enqueued later has an id of its own (no check, no extra request)", () => {
    const p = prepare(app, [item(chain([t("demo.add", [1, 1], { task_id: "a" }), t("demo.add", [2])])), item(chord([t("demo.add", [1, 1])], t("demo.xsum")))], NOW);
    expect(p.later).toEqual([]);
  });
});

describe("options.task_id of a chain or a chord (Celery: the id of the chain's last task, of the chord's body)", () => {
  const app = makeApp();
  const chord = (header: unknown[], body: unknown, options: Record<string, unknown> = {}) => ({ task: "celery.chord", kwargs: { header, body }, options });
  const chain = (tasks: unknown[], options: Record<string, unknown> = {}) => ({ task: "celery.chain", kwargs: { tasks }, options });
  const group = (tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks } });

  // Each was ignored: the handle named a fresh id, and a client could not find its result by X.
  it("a chain's names its last step (the handle's id), not the first", () => {
    const p = prepare(app, [item(chain([t("demo.add", [1, 1]), t("demo.add", [2])], { task_id: "X" }))], NOW);
    expect(p.handles[0]!.id).toBe("X");
    expect(p.messages[0]!.id).not.toBe("X");
    expect((p.messages[0]!.chain[0]!.options as { task_id?: string }).task_id).toBe("X");
  });

  it("a chord's names its body; in a chain ending in a chord, the chord's body; a chain ending in a group, the group", () => {
    expect(prepare(app, [item(chord([t("demo.add", [1, 1])], t("demo.xsum"), { task_id: "X" }))], NOW).handles[0]!.id).toBe("X");
    expect(prepare(app, [item(chain([t("demo.add", [1, 1]), chord([t("demo.add", [2])], t("demo.xsum"))], { task_id: "Y" }))], NOW).handles[0]!.id).toBe("Y");
    expect(prepare(app, [item(chain([t("demo.add", [1, 1]), group([t("demo.add", [2]), t("demo.add", [3])])], { task_id: "Z" }))], NOW).handles[0]!.id).toBe("Z");
  });

  it("given at call time (`{signature, options: {task_id}}`) too", () => {
    const p = prepare(app, [item(chain([t("demo.add", [1, 1]), t("demo.add", [2])]), "signature", { options: { task_id: "X" } })], NOW);
    expect(p.handles[0]!.id).toBe("X");
  });

  it("a last step with an id of its own keeps it (Celery's freeze keeps a set id)", () => {
    expect(prepare(app, [item(chain([t("demo.add", [1, 1]), t("demo.add", [2], { task_id: "own" })], { task_id: "X" }))], NOW).handles[0]!.id).toBe("own");
    expect(prepare(app, [item(chord([t("demo.add", [1, 1])], t("demo.xsum", [], { task_id: "own" }), { task_id: "X" }))], NOW).handles[0]!.id).toBe("own");
  });

  it("is one of the request's ids: a step with the same id is 422", () => {
    expect(wireError(() => prepare(app, [item(chain([t("demo.add", [1, 1], { task_id: "X" }), t("demo.add", [2])], { task_id: "X" }))], NOW)).code).toBe("invalid_signature");
  });
});
