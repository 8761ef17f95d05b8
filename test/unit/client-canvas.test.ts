import { describe, expect, it } from "vitest";
import { Chain, Chord, Group, chain, chord, chunks, fromJSON, group, map, sig, si, starmap, type SignatureJSON } from "../../client/index.js";
import { parseSignature, toWire } from "../../src/protocol/index.js";

const add = (...args: unknown[]) => sig("demo.add", ...args);
const j = (...args: unknown[]) => add(...args).toJSON();

describe("canvas wire JSON (the contract's primitives table)", () => {
  it("chain", () => {
    expect(chain(add(2, 2), add(4), si("demo.noop")).toJSON()).toStrictEqual({
      task: "celery.chain",
      args: [],
      kwargs: { tasks: [j(2, 2), j(4), si("demo.noop").toJSON()] },
      options: {},
      subtask_type: "chain",
      immutable: false,
    });
  });

  it("group, from arguments or from one list", () => {
    const expected = { task: "celery.group", args: [], kwargs: { tasks: [j(1, 1), j(2, 2)] }, options: {}, subtask_type: "group", immutable: false };
    expect(group(add(1, 1), add(2, 2)).toJSON()).toStrictEqual(expected);
    expect(group([add(1, 1), add(2, 2)]).toJSON()).toStrictEqual(expected);
  });

  it("chord with a list header or a group header", () => {
    const expected = {
      task: "celery.chord",
      args: [],
      kwargs: { header: [j(1, 1), j(2, 2)], body: sig("demo.xsum").toJSON(), kwargs: {} },
      options: {},
      subtask_type: "chord",
      immutable: false,
    };
    expect(chord([add(1, 1), add(2, 2)], sig("demo.xsum")).toJSON()).toStrictEqual(expected);
    expect(chord(group(add(1, 1), add(2, 2)), sig("demo.xsum")).toJSON()).toStrictEqual(expected);
  });

  it("map and starmap are immutable with subtask_type null", () => {
    expect(map(sig("demo.identity"), [1, 2, 3]).toJSON()).toStrictEqual({
      task: "celery.map",
      args: [],
      kwargs: { task: sig("demo.identity").toJSON(), it: [1, 2, 3] },
      options: {},
      subtask_type: null,
      immutable: true,
    });
    expect(starmap("demo.add", [[1, 2], [3, 4]]).toJSON()).toStrictEqual({
      task: "celery.starmap",
      args: [],
      kwargs: { task: sig("demo.add").toJSON(), it: [[1, 2], [3, 4]] },
      options: {},
      subtask_type: null,
      immutable: true,
    });
  });

  it("chunks carries n", () => {
    expect(chunks(add(), [[1, 1], [2, 2], [3, 3]], 2).toJSON()).toStrictEqual({
      task: "celery.chunks",
      args: [],
      kwargs: { task: j(), it: [[1, 1], [2, 2], [3, 3]], n: 2 },
      options: {},
      subtask_type: null,
      immutable: true,
    });
  });

  it("every primitive is accepted by the server's parser", () => {
    const canvases = [
      chain(add(1, 1), add(2)),
      group(add(1, 1)),
      chord([add(1, 1)], sig("demo.xsum")),
      map("demo.identity", [1]),
      starmap("demo.add", [[1, 2]]),
      chunks("demo.add", [[1, 2]], 1),
    ];
    for (const c of canvases) {
      const json = c.toJSON();
      const back = toWire(parseSignature(json)) as SignatureJSON;
      expect({ ...back, subtask_type: json.subtask_type }).toEqual(json);
    }
  });
});

describe("canvas building", () => {
  it("a chain inside a chain is flattened", () => {
    const c = chain(add(1, 1), chain(add(2), chain(add(3), add(4))));
    expect(c.tasks.map((t) => t.toJSON().args)).toEqual([[1, 1], [2], [3], [4]]);
    expect(c.tasks.every((t) => !(t instanceof Chain))).toBe(true);
  });

  it("a flattened chain's link moves to its last step, its link_error to every step", () => {
    const inner = chain(add(2), add(3)).link(sig("cb")).linkError(sig("eb"));
    const c = chain(add(1), inner);
    const json = c.toJSON().kwargs.tasks as SignatureJSON[];
    expect(json.map((t) => t.options.link)).toEqual([undefined, undefined, [sig("cb").toJSON()]]);
    expect(json.map((t) => t.options.link_error)).toEqual([undefined, [sig("eb").toJSON()], [sig("eb").toJSON()]]);
  });

  it("a nested chain with other options stays nested", () => {
    const c = chain(add(1), chain(add(2)).set({ queue: "q" }));
    expect(c.tasks[1]).toBeInstanceOf(Chain);
  });

  it("the guide's workflow: chain(chord(group(...), merge), notify)", () => {
    const files = ["file1.txt", "file2.txt"];
    const workflow = chain(chord(group(files.map((f) => sig("process_file", f))), sig("merge_results")), sig("send_notification"));
    const json = workflow.toJSON();
    const [first, second] = json.kwargs.tasks as SignatureJSON[];
    expect(first?.task).toBe("celery.chord");
    expect((first?.kwargs.header as SignatureJSON[]).map((h) => h.args)).toEqual([["file1.txt"], ["file2.txt"]]);
    expect(second?.task).toBe("send_notification");
  });

  it("set/link/linkError work on canvases too", () => {
    const g = group(add(1)).set({ queue: "q" }).link(sig("cb")).linkError(sig("eb"));
    expect(g).toBeInstanceOf(Group);
    expect(g.toJSON().options).toEqual({ queue: "q", link: [sig("cb").toJSON()], link_error: [sig("eb").toJSON()] });
  });

  it("accepts Python dict(sig) JSON anywhere a signature goes", () => {
    const wire = { task: "demo.add", args: [1], kwargs: {}, options: { link: { task: "demo.identity" } }, subtask_type: null, immutable: false };
    const c = chain(wire, sig("demo.mul", 2));
    const first = (c.toJSON().kwargs.tasks as SignatureJSON[])[0];
    expect(first?.options.link).toEqual([sig("demo.identity").toJSON()]);
  });

  it("fromJSON rebuilds every primitive, round trip exact", () => {
    const canvas = chain(chord([add(1, 1), group(add(2, 2), map("demo.identity", [1]))], chunks("demo.add", [[1, 2]], 1)), starmap("demo.add", [[1, 2]]));
    const json = canvas.toJSON();
    const back = fromJSON(json);
    expect(back).toBeInstanceOf(Chain);
    expect(back.toJSON()).toStrictEqual(json);
  });
});

describe("bad input throws TypeError", () => {
  it("chunks with n <= 0 or not an integer", () => {
    expect(() => chunks("demo.add", [[1]], 0)).toThrow(TypeError);
    expect(() => chunks("demo.add", [[1]], -2)).toThrow(/n to be an integer >= 1/);
    expect(() => chunks("demo.add", [[1]], 1.5)).toThrow(TypeError);
  });

  it("chord without a body", () => {
    expect(() => chord([add(1)], undefined as unknown as ReturnType<typeof add>)).toThrow(/needs a body/);
    expect(() => fromJSON({ task: "celery.chord", kwargs: { header: [] } })).toThrow(/needs a body/);
  });

  it("starmap/chunks items that are not argument lists, map over a canvas", () => {
    expect(() => starmap("demo.add", [1 as unknown as unknown[]])).toThrow(/argument list/);
    expect(() => map(group(add(1)), [1])).toThrow(/task signature/);
  });

  it("a canvas that contains itself", () => {
    const g = group(add(1));
    (g.tasks as unknown[]).push(g);
    expect(() => g.toJSON()).toThrow(/contains itself/);
    const c = chord([add(1)], add(2));
    (c.header as unknown[]).push(chain(c));
    expect(() => c.toJSON()).toThrow(TypeError);
  });

  it("wire JSON that contains itself", () => {
    const wire: Record<string, unknown> = { task: "celery.group", kwargs: { tasks: [] } };
    (wire.kwargs as { tasks: unknown[] }).tasks.push(wire);
    expect(() => fromJSON(wire as { task: string })).toThrow(/contains itself/);
  });

  it("a group holding the same signature twice is not a cycle", () => {
    const a = add(1);
    expect((group(a, a).toJSON().kwargs.tasks as unknown[]).length).toBe(2);
    expect(chord(group(a), a)).toBeInstanceOf(Chord);
  });
});
