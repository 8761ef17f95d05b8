// Unit tests of src/canvas/handle.ts: handles, group records and leaf ids of a canvas with ids.
import { describe, expect, it } from "vitest";
import { parseSignature, type Canvas } from "../../src/protocol/index.js";
import { assignIds, chunkId, idOf } from "../../src/canvas/ids.js";
import { groupsOf, handleOf, leafIds, resultIdOf } from "../../src/canvas/handle.js";

const t = (task: string, id: string, options: Record<string, unknown> = {}) => ({ task, options: { task_id: id, ...options } });
const chainW = (...tasks: unknown[]) => ({ task: "celery.chain", kwargs: { tasks } });
const groupW = (id: string, ...tasks: unknown[]) => ({ task: "celery.group", kwargs: { tasks }, options: { task_id: id } });
const chordW = (id: string, header: unknown[], body: unknown) => ({ task: "celery.chord", kwargs: { header, body }, options: { chord_id: id } });
const canvas = (wire: unknown): Canvas => assignIds(parseSignature(wire));

describe("assignIds", () => {
  it("keeps given ids, fills the missing ones (tasks, groups, chords, callbacks)", () => {
    const c = assignIds(parseSignature({ ...chordW("C", [t("a", "A"), { task: "b" }], { task: "s", options: { link: [{ task: "cb" }] } }) }));
    if (c.kind !== "chord") throw new Error();
    expect(idOf(c, "chord_id")).toBe("C");
    expect(idOf(c.header[0]!)).toBe("A");
    expect(idOf(c.header[1]!)).toMatch(/^[0-9a-f-]{36}$/);
    expect(idOf(c.body.options.link![0]!)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("does not mutate its input", () => {
    const raw = parseSignature({ task: "a" });
    assignIds(raw);
    expect(raw.options.task_id).toBeUndefined();
  });

  it("idOf throws without ids", () => {
    expect(() => idOf(parseSignature({ task: "a" }))).toThrow(/assignIds/);
  });
});

describe("handleOf", () => {
  it("a task", () => {
    expect(handleOf(canvas(t("a", "A")))).toStrictEqual({ id: "A", kind: "task" });
  });

  it("a chain: the last step, with parent links back step by step", () => {
    expect(handleOf(canvas(chainW(t("a", "A"), t("b", "B"), t("c", "C"))))).toStrictEqual({
      id: "C",
      kind: "task",
      parent: { id: "B", kind: "task", parent: { id: "A", kind: "task" } },
    });
  });

  it("a nested chain is flattened into the parent links", () => {
    expect(handleOf(canvas(chainW(t("a", "A"), chainW(t("b", "B"), t("c", "C")))))).toStrictEqual({
      id: "C",
      kind: "task",
      parent: { id: "B", kind: "task", parent: { id: "A", kind: "task" } },
    });
  });

  it("a group: results in member order", () => {
    expect(handleOf(canvas(groupW("G", t("a", "A"), t("b", "B"), t("c", "C"))))).toStrictEqual({
      id: "G",
      kind: "group",
      results: [
        { id: "A", kind: "task" },
        { id: "B", kind: "task" },
        { id: "C", kind: "task" },
      ],
    });
  });

  it("a chord: the body's handle with parent = the header group", () => {
    expect(handleOf(canvas(chordW("CH", [t("a", "A"), t("b", "B")], t("s", "S"))))).toStrictEqual({
      id: "S",
      kind: "task",
      parent: { id: "CH", kind: "group", results: [{ id: "A", kind: "task" }, { id: "B", kind: "task" }] },
    });
  });

  it("a chain ending in a chord: the chord's header group's parent is the earlier step", () => {
    const h = handleOf(canvas(chainW(t("a", "A"), chordW("CH", [t("b", "B")], t("s", "S")))));
    expect(h).toStrictEqual({
      id: "S",
      kind: "task",
      parent: { id: "CH", kind: "group", results: [{ id: "B", kind: "task" }], parent: { id: "A", kind: "task" } },
    });
  });

  it("map and starmap: one task", () => {
    expect(handleOf(canvas({ task: "celery.map", kwargs: { task: { task: "a" }, it: [1] }, options: { task_id: "M" } }))).toStrictEqual({ id: "M", kind: "task" });
    expect(handleOf(canvas({ task: "celery.starmap", kwargs: { task: { task: "a" }, it: [[1]] }, options: { task_id: "S" } }))).toStrictEqual({ id: "S", kind: "task" });
  });

  it("chunks: a group of chunk tasks", () => {
    const h = handleOf(canvas({ task: "celery.chunks", kwargs: { task: { task: "a" }, it: [[1], [2], [3]], n: 2 }, options: { task_id: "K" } }));
    expect(h).toStrictEqual({ id: "K", kind: "group", results: [{ id: chunkId("K", 0), kind: "task" }, { id: chunkId("K", 1), kind: "task" }] });
    expect(chunkId("K", 1)).toBe("K-1");
  });

  it("an empty chain has no handle", () => {
    expect(() => handleOf(canvas(chainW()))).toThrow();
  });
});

describe("resultIdOf", () => {
  it("a chain's last step, a chord's body, a group's own id", () => {
    expect(resultIdOf(canvas(chainW(t("a", "A"), t("b", "B"))))).toBe("B");
    expect(resultIdOf(canvas(chordW("CH", [t("a", "A")], t("s", "S"))))).toBe("S");
    expect(resultIdOf(canvas(groupW("G", t("a", "A"))))).toBe("G");
    expect(resultIdOf(canvas(t("a", "A")))).toBe("A");
  });
});

describe("groupsOf", () => {
  it("a group record with member result ids", () => {
    expect(groupsOf(canvas(groupW("G", t("a", "A"), chainW(t("b", "B"), t("c", "C")))))).toStrictEqual([{ id: "G", members: ["A", "C"] }]);
  });

  it("a chord's header group; a nested group member is that group, as its handle names it (not its gatherer)", () => {
    const c = canvas(chordW("CH", [t("a", "A"), groupW("G", t("b", "B"), t("c", "C"))], t("s", "S")));
    expect(groupsOf(c)).toStrictEqual([
      { id: "CH", members: ["A", "G"] },
      { id: "G", members: ["B", "C"] },
    ]);
  });

  it("chunks, and groups inside chains and callbacks", () => {
    const c = canvas(chainW({ task: "celery.chunks", kwargs: { task: { task: "a" }, it: [[1], [2]], n: 1 }, options: { task_id: "K" } }, t("x", "X", { link: [groupW("L", t("y", "Y"))] })));
    expect(groupsOf(c)).toStrictEqual([
      { id: "K", members: ["K-0", "K-1"] },
      { id: "L", members: ["Y"] },
    ]);
  });

  it("a task has no group records", () => {
    expect(groupsOf(canvas(t("a", "A")))).toStrictEqual([]);
  });
});

describe("leafIds", () => {
  it("every task id a canvas creates, in order", () => {
    const c = canvas(
      chainW(
        t("a", "A"),
        groupW("G", t("b", "B"), t("c", "C")),
        chordW("CH", [t("d", "D")], t("e", "E")),
        { task: "celery.chunks", kwargs: { task: { task: "f" }, it: [[1], [2]], n: 1 }, options: { task_id: "K" } },
        { task: "celery.map", kwargs: { task: { task: "g" }, it: [1] }, options: { task_id: "M" } },
      ),
    );
    expect(leafIds(c)).toStrictEqual(["A", "B", "C", "D", "E", "K-0", "K-1", "M"]);
  });
});

describe("chord members whose result comes from a gatherer", () => {
  it("a chain ending in a group is that group in the chord's record", () => {
    const c = canvas(chordW("CH", [chainW(t("a", "A"), groupW("G", t("b", "B")))], t("s", "S")));
    expect(groupsOf(c)[0]).toStrictEqual({ id: "CH", members: ["G"] });
  });
});

describe("chord member ids agree with the handle", () => {
  it("chunks and a chord ending in a group, as chord members, are their groups", () => {
    const c = canvas(
      chordW(
        "CH",
        [
          { task: "celery.chunks", kwargs: { task: { task: "a" }, it: [[1]], n: 1 }, options: { task_id: "K" } },
          chordW("IN", [t("b", "B")], groupW("BG", t("c", "C"))),
          chordW("IN2", [t("d", "D")], t("e", "E")),
        ],
        t("s", "S"),
      ),
    );
    expect(groupsOf(c)[0]).toStrictEqual({ id: "CH", members: ["K", "BG", "E"] });
    expect(handleOf(c).parent?.results?.map((h) => h.id)).toStrictEqual(["K", "BG", "E"]);
  });
});
