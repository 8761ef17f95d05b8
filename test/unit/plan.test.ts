// Unit tests of src/canvas/plan.ts: canvas (ids assigned) + inheritance → messages and chords.
import { describe, expect, it } from "vitest";
import { parseSignature, type Canvas } from "../../src/protocol/index.js";
import { assignIds, idOf, accumulateId, chunkId } from "../../src/canvas/ids.js";
import { ACCUMULATE_TASK, plan, rootInherit, type Inherit, type PlanEnv } from "../../src/canvas/plan.js";
import { outcomeEffects } from "../../src/canvas/effects.js";
import type { TaskMessage } from "../../src/protocol/message.js";

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const env: PlanEnv = {
  now: NOW,
  place: (task, o, options) => ({ queue: o.queue ?? (task === "demo.mul" ? "math" : "default"), priority: o.priority ?? (task === "demo.mul" ? 5 : 0), options }),
};

const t = (task: string, args: unknown[] = [], options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ task, args, kwargs: {}, options, ...extra });
const chainW = (...tasks: unknown[]) => ({ task: "celery.chain", kwargs: { tasks }, subtask_type: "chain" });
const groupW = (...tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks }, subtask_type: "group" });
const chordW = (header: unknown[], body: unknown, options: Record<string, unknown> = {}) => ({ task: "celery.chord", kwargs: { header, body, kwargs: {} }, options, subtask_type: "chord" });

/** Parses and assigns ids. */
const canvas = (wire: unknown): Canvas => assignIds(parseSignature(wire));
const run = (c: Canvas, inherit: Partial<Inherit> = {}) => plan(c, rootInherit(inherit), env);
const only = (c: Canvas, inherit: Partial<Inherit> = {}): TaskMessage => {
  const p = run(c, inherit);
  expect(p.messages).toHaveLength(1);
  return p.messages[0]!;
};
const names = (steps: Canvas[]) => steps.map((s) => (s.kind === "task" ? s.name : s.kind));

describe("a task", () => {
  it("message fields", () => {
    const c = canvas(t("demo.add", [1, 2], { task_id: "T1" }));
    const m = only(c);
    expect(m).toStrictEqual({
      id: "T1",
      task: "demo.add",
      args: [1, 2],
      kwargs: {},
      queue: "default",
      priority: 0,
      eta: null,
      expires: null,
      retries: 0,
      options: {},
      stamps: {},
      parent_id: null,
      root_id: "T1",
      group_id: null,
      group_index: null,
      chain: [],
      chord: null,
      link: [],
      link_error: [],
    });
  });

  it("call-time args are prepended, call-time kwargs win", () => {
    const c = canvas({ task: "demo.echo", args: [1], kwargs: { a: 1, b: 1 } });
    const m = only(c, { prepend: [2, 3], kwargs: { b: 2, c: 3 } });
    expect(m.args).toStrictEqual([2, 3, 1]);
    expect(m.kwargs).toStrictEqual({ a: 1, b: 2, c: 3 });
  });

  it("an immutable signature ignores prepend and call-time kwargs", () => {
    const c = canvas({ task: "demo.echo", args: [1], kwargs: { a: 1 }, immutable: true });
    const m = only(c, { prepend: [2, 3], kwargs: { a: 2, c: 3 } });
    expect(m.args).toStrictEqual([1]);
    expect(m.kwargs).toStrictEqual({ a: 1 });
  });

  it("routing: per-name route, explicit queue and priority", () => {
    expect(only(canvas(t("demo.mul"))).queue).toBe("math");
    expect(only(canvas(t("demo.mul"))).priority).toBe(5);
    const m = only(canvas(t("demo.mul", [], { queue: "other", priority: 1 })));
    expect([m.queue, m.priority]).toStrictEqual(["other", 1]);
  });

  it("execution options are copied, others are not", () => {
    const m = only(canvas(t("a", [], { soft_time_limit: 2, time_limit: 3, max_retries: 1, acks_late: true, ignore_result: true, routing_key: "rk", queue: "q" })));
    expect(m.options).toStrictEqual({ soft_time_limit: 2, time_limit: 3, max_retries: 1, acks_late: true, ignore_result: true, routing_key: "rk" });
  });

  it("parent and root ids from the inheritance", () => {
    const m = only(canvas(t("a")), { parentId: "P", rootId: "R" });
    expect([m.parent_id, m.root_id]).toStrictEqual(["P", "R"]);
  });
});

describe("times", () => {
  it("countdown → eta = now + s * 1000", () => {
    expect(only(canvas(t("a", [], { countdown: 10 }))).eta).toBe(NOW + 10_000);
    expect(only(canvas(t("a", [], { countdown: 0.5 }))).eta).toBe(NOW + 500);
  });

  it("countdown 0 or an eta in the past is 'now' (null)", () => {
    expect(only(canvas(t("a", [], { countdown: 0 }))).eta).toBeNull();
    expect(only(canvas(t("a", [], { eta: "2000-01-01T00:00:00Z" }))).eta).toBeNull();
  });

  it("eta ISO → epoch ms", () => {
    expect(only(canvas(t("a", [], { eta: "2030-01-01T12:05:00Z" }))).eta).toBe(NOW + 5 * 60_000);
    expect(only(canvas(t("a", [], { eta: "2030-01-01T13:05:00+01:00" }))).eta).toBe(NOW + 5 * 60_000);
  });

  it("expires: seconds → now + s * 1000; ISO → epoch; a past value is kept", () => {
    expect(only(canvas(t("a", [], { expires: 60 }))).expires).toBe(NOW + 60_000);
    expect(only(canvas(t("a", [], { expires: "2030-01-02T12:00:00Z" }))).expires).toBe(NOW + 86_400_000);
    expect(only(canvas(t("a", [], { expires: -1 }))).expires).toBe(NOW - 1000);
  });
});

describe("chain", () => {
  it("the first message carries the rest of the chain; call-time args reach the first step only", () => {
    const c = canvas(chainW(t("a", [1]), t("b", [2]), t("c")));
    const m = only(c, { prepend: [0], kwargs: { k: 1 } });
    expect(m.task).toBe("a");
    expect(m.args).toStrictEqual([0, 1]);
    expect(m.kwargs).toStrictEqual({ k: 1 });
    expect(names(m.chain)).toStrictEqual(["b", "c"]);
    expect(m.chain[0]?.args).toStrictEqual([2]);
  });

  it("the chain's own partial args go after call-time args", () => {
    const c = canvas({ ...chainW(t("a", [1]), t("b")), args: [9] });
    expect(only(c, { prepend: [0] }).args).toStrictEqual([0, 9, 1]);
  });

  it("nested chains are flattened", () => {
    const c = canvas(chainW(t("a"), chainW(t("b"), chainW(t("c"), t("d"))), t("e")));
    expect(names(only(c).chain)).toStrictEqual(["b", "c", "d", "e"]);
  });

  it("a nested chain with its own callbacks stays one step", () => {
    const c = canvas(chainW(t("a"), { ...chainW(t("b"), t("c")), options: { link: [t("cb")] } }));
    const m = only(c);
    expect(names(m.chain)).toStrictEqual(["chain"]);
  });

  it("the rest of an outer chain comes after this chain's steps", () => {
    const c = canvas(chainW(t("a"), t("b")));
    const after = canvas(t("z"));
    expect(names(only(c, { rest: [after] }).chain)).toStrictEqual(["b", "z"]);
  });

  it("chain link only on the last step, link_error on every step", () => {
    const c = canvas({ ...chainW(t("a"), t("b"), t("c")), options: { link: [t("done")], link_error: [t("oops")] } });
    const m = only(c);
    expect(m.link).toStrictEqual([]);
    expect(names(m.link_error)).toStrictEqual(["oops"]);
    expect(m.chain[0]?.options.link).toBeUndefined();
    expect(names(m.chain[0]?.options.link_error ?? [])).toStrictEqual(["oops"]);
    expect(names(m.chain[1]?.options.link ?? [])).toStrictEqual(["done"]);
    expect(names(m.chain[1]?.options.link_error ?? [])).toStrictEqual(["oops"]);
  });

  it("a step's own link is kept and the chain's is appended on the last step", () => {
    const c = canvas({ ...chainW(t("a"), t("b", [], { link: [t("own")] })), options: { link: [t("done")] } });
    expect(names(only(c).chain[0]?.options.link ?? [])).toStrictEqual(["own", "done"]);
  });

  it("an empty chain plans nothing", () => {
    expect(run(canvas(chainW()))).toStrictEqual({ messages: [], chords: [] });
  });

  it("the next step, planned from the first's success, gets the result prepended", () => {
    const c = canvas(chainW(t("a"), t("b", [1]), t("c")));
    const first = only(c);
    const effects = outcomeEffects(first, { kind: "success", value: 42, worker: "w", startedAt: 1, doneAt: 2 }, 60);
    const apply = effects.find((e) => e.kind === "apply");
    if (apply?.kind !== "apply") throw new Error("no apply effect");
    const second = only(apply.canvas, apply.inherit);
    expect(second.task).toBe("b");
    expect(second.args).toStrictEqual([42, 1]);
    expect(second.parent_id).toBe(first.id);
    expect(second.root_id).toBe(first.id);
    expect(names(second.chain)).toStrictEqual(["c"]);
  });
});

describe("group", () => {
  it("one message per member with group_id and group_index; prepend reaches every member", () => {
    const c = canvas(groupW(t("a", [1]), t("b", [2]), t("c", [3], {}, { immutable: true })));
    const gid = idOf(c);
    const p = run(c, { prepend: [0], kwargs: { k: 1 } });
    expect(p.chords).toStrictEqual([]);
    expect(p.messages.map((m) => [m.task, m.group_id, m.group_index, m.args])).toStrictEqual([
      ["a", gid, 0, [0, 1]],
      ["b", gid, 1, [0, 2]],
      ["c", gid, 2, [3]],
    ]);
    expect(p.messages[0]?.kwargs).toStrictEqual({ k: 1 });
  });

  it("member ids are the ids assigned to the members", () => {
    const c = canvas(groupW(t("a"), t("b")));
    if (c.kind !== "group") throw new Error();
    expect(run(c).messages.map((m) => m.id)).toStrictEqual(c.tasks.map((m) => idOf(m)));
  });

  it("an immutable group drops the prepend", () => {
    const c = canvas({ ...groupW(t("a", [1])), immutable: true });
    expect(only(c, { prepend: [0] }).args).toStrictEqual([1]);
  });

  it("a group's link goes to every member", () => {
    const c = canvas({ ...groupW(t("a"), t("b")), options: { link: [t("cb")] } });
    expect(run(c).messages.map((m) => names(m.link))).toStrictEqual([["cb"], ["cb"]]);
  });

  it("a chain member inside a group: its first step carries group id and rest", () => {
    const c = canvas(groupW(chainW(t("a"), t("b")), t("c")));
    const [m0, m1] = run(c).messages;
    expect(m0?.task).toBe("a");
    expect(names(m0?.chain ?? [])).toStrictEqual(["b"]);
    expect(m0?.group_index).toBe(0);
    expect(m1?.chain).toStrictEqual([]);
  });
});

describe("group followed by a step in a chain → chord", () => {
  it("becomes a ChordInit whose body is the next step; the rest follows the body", () => {
    const c = canvas(chainW(groupW(t("a"), t("b")), t("sum"), t("after")));
    if (c.kind !== "chain") throw new Error();
    const gid = idOf(c.tasks[0]!);
    const p = run(c, { prepend: [7] });
    expect(p.chords).toHaveLength(1);
    const ch = p.chords[0]!;
    expect(ch.id).toBe(gid);
    expect(ch.size).toBe(2);
    expect(ch.body).toMatchObject({ kind: "task", name: "sum" });
    expect(names(ch.inherit.rest)).toStrictEqual(["after"]);
    expect(ch.inherit.prepend).toStrictEqual([]);
    expect(p.messages.map((m) => [m.task, m.chord, m.chain, m.args])).toStrictEqual([
      ["a", { id: gid, index: 0 }, [], [7]],
      ["b", { id: gid, index: 1 }, [], [7]],
    ]);
  });
});

describe("chord", () => {
  it("ChordInit size/body; members carry the chord ref {id, index}", () => {
    const c = canvas(chordW([t("a", [1]), t("b", [2]), t("c", [3])], t("sum", [], { priority: 2 })));
    const cid = idOf(c, "chord_id");
    const p = run(c);
    expect(p.chords).toHaveLength(1);
    expect(p.chords[0]).toMatchObject({ id: cid, size: 3, body: { kind: "task", name: "sum" } });
    expect(p.messages.map((m) => [m.task, m.chord, m.group_id, m.group_index])).toStrictEqual([
      ["a", { id: cid, index: 0 }, cid, 0],
      ["b", { id: cid, index: 1 }, cid, 1],
      ["c", { id: cid, index: 2 }, cid, 2],
    ]);
    expect(p.messages.every((m) => m.task !== "sum")).toBe(true);
  });

  it("the body's parent is the header group (as the handle says); the members keep the chord's parent", () => {
    const c = canvas(chordW([t("a"), t("b")], t("sum")));
    const cid = idOf(c, "chord_id");
    const p = run(c, { parentId: "P" });
    expect(p.chords[0]?.inherit.parentId).toBe(cid);
    expect(p.messages.map((m) => m.parent_id)).toStrictEqual(["P", "P"]);
  });

  it("a group upgraded to a chord: its body's parent is the group", () => {
    const c = canvas(chainW(groupW(t("a"), t("b")), t("sum")));
    if (c.kind !== "chain") throw new Error();
    expect(run(c).chords[0]?.inherit.parentId).toBe(idOf(c.tasks[0]!));
  });

  it("call-time args reach every header member; the body's prepend is left for the results", () => {
    const c = canvas(chordW([t("a", [1]), t("b", [2])], t("sum")));
    const p = run(c, { prepend: [0] });
    expect(p.messages.map((m) => m.args)).toStrictEqual([[0, 1], [0, 2]]);
    expect(p.chords[0]?.inherit.prepend).toStrictEqual([]);
  });

  it("the chord's kwargs go to the body's inheritance", () => {
    const c = canvas({ task: "celery.chord", kwargs: { header: [t("a")], body: t("sum"), kwargs: { z: 1 } } });
    expect(run(c).chords[0]?.inherit.kwargs).toStrictEqual({ z: 1 });
  });

  it("the chord's link/link_error belong to the body", () => {
    const c = canvas(chordW([t("a")], t("sum"), { link: [t("cb")], link_error: [t("eb")] }));
    const p = run(c);
    expect(names(p.chords[0]?.body.options.link ?? [])).toStrictEqual(["cb"]);
    expect(names(p.chords[0]?.body.options.link_error ?? [])).toStrictEqual(["eb"]);
    expect(p.messages[0]?.link).toStrictEqual([]);
  });

  it("an empty header runs the body at once with [[]]", () => {
    const c = canvas(chordW([], t("sum", [1])));
    const p = run(c);
    expect(p.chords).toStrictEqual([]);
    expect(p.messages).toHaveLength(1);
    expect(p.messages[0]).toMatchObject({ task: "sum", args: [[], 1], chord: null });
  });

  it("a group nested in a chord header becomes an inner chord with a celery.accumulate body", () => {
    const c = canvas(chordW([t("a"), groupW(t("b"), t("c"))], t("sum")));
    if (c.kind !== "chord") throw new Error();
    const outer = idOf(c, "chord_id");
    const inner = idOf(c.header[1]!);
    const p = run(c);
    expect(p.chords.map((ch) => [ch.id, ch.size])).toStrictEqual([
      [outer, 2],
      [inner, 2],
    ]);
    const acc = p.chords[1]!;
    expect(acc.body).toMatchObject({ kind: "task", name: ACCUMULATE_TASK, options: { task_id: accumulateId(inner) } });
    expect(acc.inherit.chord).toStrictEqual({ id: outer, index: 1 });
    expect(p.messages.map((m) => [m.task, m.chord])).toStrictEqual([
      ["a", { id: outer, index: 0 }],
      ["b", { id: inner, index: 0 }],
      ["c", { id: inner, index: 1 }],
    ]);
  });

  it("a chord in a chain: the body continues the chain", () => {
    const c = canvas(chainW(chordW([t("a")], t("sum")), t("next")));
    expect(names(run(c).chords[0]?.inherit.rest ?? [])).toStrictEqual(["next"]);
  });
});

describe("map, starmap, chunks", () => {
  it("map → one celery.map message, routed by the inner task", () => {
    const c = canvas({ task: "celery.map", kwargs: { task: t("demo.mul"), it: [1, 2] } });
    const m = only(c, { prepend: [99] });
    expect(m.id).toBe(idOf(c));
    expect(m.task).toBe("celery.map");
    expect(m.args).toStrictEqual([]);
    expect(m.kwargs).toMatchObject({ it: [1, 2], task: { kind: "task", name: "demo.mul" } });
    expect([m.queue, m.priority]).toStrictEqual(["math", 5]);
  });

  it("starmap → one celery.starmap message", () => {
    const c = canvas({ task: "celery.starmap", kwargs: { task: t("demo.add"), it: [[1, 2], [3, 4]] } });
    const m = only(c);
    expect(m.task).toBe("celery.starmap");
    expect(m.kwargs.it).toStrictEqual([[1, 2], [3, 4]]);
  });

  it("chunks → a group of starmap messages of n items", () => {
    const c = canvas({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], n: 2 } });
    const gid = idOf(c);
    const p = run(c);
    expect(p.messages.map((m) => [m.id, m.task, m.kwargs.it, m.group_id, m.group_index])).toStrictEqual([
      [chunkId(gid, 0), "celery.starmap", [[1, 1], [2, 2]], gid, 0],
      [chunkId(gid, 1), "celery.starmap", [[3, 3], [4, 4]], gid, 1],
      [chunkId(gid, 2), "celery.starmap", [[5, 5]], gid, 2],
    ]);
  });

  it("chunks with a link: each chunk task gets the callback once", () => {
    const c = canvas({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1], [2, 2]], n: 1 }, options: { link: [t("cb")], link_error: [t("eb")] } });
    const p = run(c);
    expect(p.messages.map((m) => names(m.link))).toStrictEqual([["cb"], ["cb"]]);
    expect(p.messages.map((m) => names(m.link_error))).toStrictEqual([["eb"], ["eb"]]);
  });
});

describe("stamps", () => {
  const stamped = { stamped_headers: ["tenant"], tenant: "acme", stamps: { priority: "high" } };
  const all = { tenant: "acme", priority: "high" };

  it("both wire forms reach a task's message", () => {
    expect(only(canvas(t("a", [], stamped))).stamps).toStrictEqual(all);
  });

  it("a stamp named like an option does not change the option", () => {
    const m = only(canvas(t("demo.mul", [], { stamps: { priority: "high", queue: "q9" } })));
    expect([m.queue, m.priority]).toStrictEqual(["math", 5]);
    expect(m.stamps).toStrictEqual({ priority: "high", queue: "q9" });
  });

  it("canvas stamps reach every leaf of a group and of a chain (via the rest)", () => {
    const g = canvas({ ...groupW(t("a"), t("b", [], { stamps: { own: 1 } })), options: stamped });
    expect(run(g).messages.map((m) => m.stamps)).toStrictEqual([all, { ...all, own: 1 }]);

    const ch = canvas({ ...chainW(t("a"), t("b")), options: stamped });
    const first = only(ch);
    expect(first.stamps).toStrictEqual(all);
    const next = outcomeEffects(first, { kind: "success", value: 1, worker: "w", startedAt: 0, doneAt: 0 }, 60).find((e) => e.kind === "apply");
    if (next?.kind !== "apply") throw new Error();
    expect(only(next.canvas, next.inherit).stamps).toStrictEqual(all);
  });

  it("the outer stamp wins over a leaf's stamp of the same name", () => {
    const g = canvas({ ...groupW(t("a", [], { stamps: { tenant: "inner" } })), options: stamped });
    expect(only(g).stamps).toStrictEqual(all);
  });

  it("chord: header members and the body (ChordInit.inherit.stamps) carry the chord's stamps", () => {
    const c = canvas(chordW([t("a"), t("b")], t("sum"), stamped));
    const p = run(c);
    expect(p.messages.map((m) => m.stamps)).toStrictEqual([all, all]);
    expect(p.chords[0]?.inherit.stamps).toStrictEqual(all);
    const body = plan(p.chords[0]!.body, { ...p.chords[0]!.inherit, prepend: [[1, 2]] }, env).messages[0];
    expect(body?.stamps).toStrictEqual(all);
    expect(body?.args).toStrictEqual([[1, 2]]);
  });

  it("stamps reach a nested accumulate body and chunk tasks", () => {
    const c = canvas(chordW([groupW(t("a"))], t("sum"), { stamps: { s: 1 } }));
    const p = run(c);
    expect(p.chords.map((ch) => ch.inherit.stamps)).toStrictEqual([{ s: 1 }, { s: 1 }]);
    const k = canvas({ task: "celery.chunks", kwargs: { task: t("a"), it: [[1], [2]], n: 1 }, options: { stamps: { s: 2 } } });
    expect(run(k).messages.map((m) => m.stamps)).toStrictEqual([{ s: 2 }, { s: 2 }]);
  });

  it("callbacks planned from a stamped task's outcome carry the stamps", () => {
    const m = only(canvas(t("a", [], { ...stamped, link: [t("cb")], link_error: [t("eb")] })));
    const ok = outcomeEffects(m, { kind: "success", value: 5, worker: "w", startedAt: 0, doneAt: 0 }, 60).filter((e) => e.kind === "apply");
    const bad = outcomeEffects(m, { kind: "failure", state: "FAILURE", error: { type: "E", message: "x" }, worker: "w", startedAt: 0, doneAt: 0 }, 60).filter(
      (e) => e.kind === "apply",
    );
    const stampsOf = (e: (typeof ok)[number]) => (e.kind === "apply" ? only(e.canvas, e.inherit).stamps : null);
    expect(ok.map(stampsOf)).toStrictEqual([all]);
    expect(bad.map(stampsOf)).toStrictEqual([all]);
  });

  it("a step's own stamp does not leak to the following steps of its chain", () => {
    const c = canvas({ ...chainW(t("a", [], { stamps: { own: 1 } }), t("b")), options: { stamps: { outer: 2 } } });
    const first = only(c);
    expect(first.stamps).toStrictEqual({ own: 1, outer: 2 });
    const next = outcomeEffects(first, { kind: "success", value: 1, worker: "w", startedAt: 0, doneAt: 0 }, 60).find((e) => e.kind === "apply");
    if (next?.kind !== "apply") throw new Error();
    expect(only(next.canvas, next.inherit).stamps).toStrictEqual({ outer: 2 });
  });

  it("a group's own stamp does not reach the step after it (the upgraded chord's body)", () => {
    const c = canvas({ ...chainW({ ...groupW(t("a"), t("b")), options: { stamps: { g: 1 } } }, t("sum")), options: { stamps: { outer: 2 } } });
    const p = run(c);
    expect(p.messages.map((m) => m.stamps)).toStrictEqual([{ g: 1, outer: 2 }, { g: 1, outer: 2 }]);
    const ch = p.chords[0]!;
    expect(only(ch.body, { ...ch.inherit, prepend: [[1, 2]] }).stamps).toStrictEqual({ outer: 2 });
  });

  it("a chord's own stamp does not reach the step after it; the chain's does", () => {
    const c = canvas({ ...chainW(chordW([t("a")], t("sum"), { stamps: { c: 1 } }), t("next")), options: { stamps: { outer: 2 } } });
    const ch = run(c).chords[0]!;
    const body = only(ch.body, { ...ch.inherit, prepend: [[1]] });
    expect(body.stamps).toStrictEqual({ c: 1, outer: 2 });
    const next = outcomeEffects(body, { kind: "success", value: 1, worker: "w", startedAt: 0, doneAt: 0 }, 60).find((e) => e.kind === "apply");
    if (next?.kind !== "apply") throw new Error();
    const m = only(next.canvas, next.inherit);
    expect(m.task).toBe("next");
    expect(m.stamps).toStrictEqual({ outer: 2 });
  });

  it("stamps of nested chains reach their later steps", () => {
    const c = canvas(chainW(t("a"), { ...chainW(t("b"), t("c")), options: { stamps: { inner: 1 }, link: [t("cb")] } }));
    let m = only(c);
    expect(m.stamps).toStrictEqual({});
    for (const expected of [{ inner: 1 }, { inner: 1 }]) {
      const next = outcomeEffects(m, { kind: "success", value: 1, worker: "w", startedAt: 0, doneAt: 0 }, 60).find((e) => e.kind === "apply");
      if (next?.kind !== "apply") throw new Error();
      m = only(next.canvas, next.inherit);
      expect(m.stamps).toStrictEqual(expected);
    }
    expect(m.task).toBe("c");
  });
});

describe("immutable chain", () => {
  it("ignores call-time args and kwargs but keeps its own partial args", () => {
    const c = canvas({ ...chainW(t("a", [1]), t("b")), args: [9], immutable: true });
    const m = only(c, { prepend: [0], kwargs: { k: 1 } });
    expect(m.args).toStrictEqual([9, 1]);
    expect(m.kwargs).toStrictEqual({});
  });
});

describe("chunks as a chord member", () => {
  it("its chunk tasks gather into one list reported to the outer chord", () => {
    const c = canvas(chordW([{ task: "celery.chunks", kwargs: { task: t("a"), it: [[1], [2]], n: 1 }, options: { task_id: "K" } }], t("sum")));
    const outer = idOf(c, "chord_id");
    const p = run(c);
    const inner = p.chords.find((ch) => ch.id === "K");
    expect(inner?.size).toBe(2);
    expect(inner?.body).toMatchObject({ name: ACCUMULATE_TASK, options: { task_id: accumulateId("K") } });
    expect(inner?.inherit.chord).toStrictEqual({ id: outer, index: 0 });
    expect(p.messages.map((m) => [m.id, m.chord])).toStrictEqual([
      ["K-0", { id: "K", index: 0 }],
      ["K-1", { id: "K", index: 1 }],
    ]);
  });
});

describe("options of a canvas reach its tasks (a task's own win)", () => {
  const env: PlanEnv = { now: 1_000_000, place: (_t, o, options) => ({ queue: o.queue ?? "default", priority: o.priority ?? 0, options }) };
  const t = (name: string, options: Record<string, unknown> = {}) => ({ kind: "task" as const, name, args: [], kwargs: {}, options, immutable: false });

  it("a group's queue and priority reach every member; a member's own queue wins", () => {
    const g = assignIds({ kind: "group", tasks: [t("a"), t("b", { queue: "own" })], args: [], kwargs: {}, options: { queue: "gq", priority: 7 }, immutable: false });
    const p = plan(g, rootInherit(), env);
    expect(p.messages.map((m) => [m.queue, m.priority])).toStrictEqual([["gq", 7], ["own", 7]]);
  });

  it("a chain's countdown delays only its first step; its time limit reaches every step", () => {
    const c = assignIds({ kind: "chain", tasks: [t("a"), t("b")], args: [], kwargs: {}, options: { countdown: 10, time_limit: 5 }, immutable: false });
    const p = plan(c, rootInherit(), env);
    expect(p.messages).toHaveLength(1);
    expect(p.messages[0]!.eta).toBe(env.now + 10_000);
    expect(p.messages[0]!.options.time_limit).toBe(5);
    const rest = p.messages[0]!.chain[0]!;
    expect(rest.options.time_limit).toBe(5);
    expect(rest.options.countdown).toBeUndefined();
  });

  it("a group upgraded to a chord does not pass its options to the next step", () => {
    const c = assignIds({
      kind: "chain",
      tasks: [{ kind: "group", tasks: [t("a")], args: [], kwargs: {}, options: { queue: "gq" }, immutable: false }, t("b")],
      args: [],
      kwargs: {},
      options: {},
      immutable: false,
    });
    const p = plan(c, rootInherit(), env);
    expect(p.messages.map((m) => m.queue)).toStrictEqual(["gq"]);
    expect(p.chords[0]!.body.options.queue).toBeUndefined();
  });
});
