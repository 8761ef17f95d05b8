// Contract: the canvas cases beyond the basics, after Celery's own canvas tests
// (celery/t/integration/test_canvas.py): nesting, upgrades, callbacks on canvases, stamps through
// retries, call-time values, a 10,000-member chord, and more bad inputs.
import { describe, expect, it } from "vitest";
import {
  api,
  apply,
  chain,
  chord,
  chunks,
  expectAllPending,
  expectError,
  getResult,
  group,
  isig,
  sig,
  uniqId,
  uniqQueue,
  waitGroup,
  waitQueue,
  waitResult,
} from "./helpers";

describe("nesting and upgrades", () => {
  it("a chain inside a chord header contributes its last result", async () => {
    const h = await apply(chord([chain([sig("demo.add", [1, 1]), sig("demo.mul", [10])]), sig("demo.add", [5, 5])], sig("demo.xsum")));
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(30); // (1+1)*10 + (5+5)
  });

  it("a chord inside a chord header (nested chords)", async () => {
    const inner = chord([sig("demo.add", [1, 2]), sig("demo.add", [3, 4])], sig("demo.xsum")); // 10
    const h = await apply(chord([inner, sig("demo.identity", [5])], sig("demo.xsum")));
    expect((await waitResult(h.id)).result).toBe(15);
  });

  it("a group inside a chord header gives its list as one member's result", async () => {
    const h = await apply(chord([group([sig("demo.identity", [1]), sig("demo.identity", [2])]), sig("demo.identity", [3])], sig("demo.identity")));
    expect((await waitResult(h.id)).result).toStrictEqual([[1, 2], 3]);
  });

  it("a group followed by a step in a chain becomes a chord (the step gets the list)", async () => {
    const last = uniqId();
    const h = await apply(chain([group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])]), sig("demo.xsum", [], { task_id: last })]));
    expect(h.id).toBe(last);
    expect(h.parent?.kind).toBe("group");
    expect((await waitResult(last)).result).toBe(6);
  });

  it("a chain ending in a group answers the group's handle", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), group([sig("demo.mul", [10]), sig("demo.mul", [100])])]));
    expect(h.kind).toBe("group");
    expect(h.results).toHaveLength(2);
    const g = await waitGroup(h.id);
    expect(g.results.map((r) => r.result)).toStrictEqual([20, 200]);
  });

  it("a single-member group is still a group", async () => {
    const h = await apply(group([sig("demo.identity", ["only"])]));
    expect(h.kind).toBe("group");
    const g = await waitGroup(h.id);
    expect(g).toMatchObject({ total: 1, ready: true, successful: true });
    expect(g.results[0]!.result).toBe("only");
  });

  it("a group inside a group reads as one member: ready with the list of its values (Celery's nested GroupResult)", async () => {
    const h = await apply(group([group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])]), sig("demo.add", [3, 3])]));
    const inner = h.results![0]!;
    expect(inner.kind).toBe("group");
    const g = await waitGroup(h.id);
    expect(g).toMatchObject({ total: 2, completed: 2, ready: true, successful: true, failed: false });
    expect(g.results[0]).toMatchObject({ id: inner.id, state: "SUCCESS", result: [2, 4] });
    expect(g.results[1]).toMatchObject({ state: "SUCCESS", result: 6 });
  });

  it("a failing member of a nested group fails that member of the outer group, with its error", async () => {
    const h = await apply(group([group([sig("demo.add", [1, 1]), sig("demo.fail", ["inner"])]), sig("demo.add", [3, 3])]));
    const g = await waitGroup(h.id);
    expect(g).toMatchObject({ total: 2, completed: 1, ready: true, successful: false, failed: true });
    expect(g.results[0]).toMatchObject({ state: "FAILURE", error: { type: "DemoError", message: "inner" } });
  });

  it("a group inside a chord header reads in /v1/groups/:id as the nested group its handle names", async () => {
    const h = await apply(chord([group([sig("demo.identity", [1]), sig("demo.identity", [2])]), sig("demo.identity", [3])], sig("demo.identity")));
    await waitResult(h.id);
    const inner = h.parent!.results![0]!;
    expect(inner.kind).toBe("group");
    const g = await waitGroup(h.parent!.id);
    expect(g).toMatchObject({ total: 2, completed: 2, ready: true, successful: true });
    // Was the internal gatherer (`<group id>-all`, task celery.accumulate), an id no handle names.
    expect(g.results[0]).toMatchObject({ id: inner.id, state: "SUCCESS", result: [1, 2] });
  });

  it("a failing member of a group inside a chord header: the body's ChordError names that member and its error", async () => {
    const member = uniqId();
    const h = await apply(chord([group([sig("demo.identity", [1]), sig("demo.fail", ["g"], { task_id: member })]), sig("demo.identity", [3])], sig("demo.xsum")));
    const r = await waitResult(h.id);
    expect(r.state).toBe("FAILURE");
    // As Celery's ChordError names the failed leaf of a nested GroupResult; was the internal
    // gatherer's id with a ChordError of its own.
    expect(r.error).toStrictEqual({ type: "ChordError", message: `Dependency ${member} raised DemoError('g')` });
    const g = await waitGroup(h.parent!.id);
    expect(g.results[0]).toMatchObject({ id: h.parent!.results![0]!.id, state: "FAILURE", error: { type: "DemoError", message: "g" } });
  });

  it("nested chains flatten: chain(a, chain(b, c)) runs a, b, c in order", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), chain([sig("demo.mul", [3]), sig("demo.add", [1])])]));
    expect((await waitResult(h.id)).result).toBe(7);
  });

  it("the guide's email example shape: a chord whose body is a group, then a step", async () => {
    const h = await apply(
      chain([chord([sig("demo.identity", [1]), sig("demo.identity", [2])], group([sig("demo.xsum"), sig("demo.xsum")])), sig("demo.xsum")]),
    );
    expect((await waitResult(h.id)).result).toBe(6);
  });
});

describe("children", () => {
  it("a finished step names the tasks it started: the chain's next step and its link callbacks", async () => {
    const [a, b, cb] = [uniqId(), uniqId(), uniqId()];
    await apply(chain([sig("demo.add", [1, 1], { task_id: a, link: [sig("demo.identity", [], { task_id: cb })] }), sig("demo.add", [1], { task_id: b })]));
    await waitResult(b);
    expect((await waitResult(a)).children).toStrictEqual([b, cb]);
    expect((await waitResult(b)).children).toStrictEqual([]);
  });
});

describe("call-time values", () => {
  it("call-time args go to a chain's first step only", async () => {
    const h = await apply({ signature: chain([sig("demo.echo", ["first"]), isig("demo.echo", ["second"])]), args: ["call"] });
    const last = await waitResult(h.id);
    expect(last.result).toStrictEqual({ args: ["second"], kwargs: {} });
    const first = await waitResult(h.parent!.id);
    expect(first.result).toStrictEqual({ args: ["call", "first"], kwargs: {} });
  });

  it("a canvas's options reach its tasks: a group's queue routes every member", async () => {
    const h = await apply(group([sig("demo.identity", [1]), sig("demo.identity", [2])], { queue: "canvas-q" }));
    const g = await waitGroup(h.id);
    expect(g.results.map((r) => r.queue)).toStrictEqual(["canvas-q", "canvas-q"]);
  });
});

describe("callbacks on canvases", () => {
  it("a chain's link gets the chain's final result", async () => {
    const cb = uniqId();
    await apply(chain([sig("demo.add", [1, 1]), sig("demo.mul", [5])], { link: [sig("demo.identity", [], { task_id: cb })] }));
    expect((await waitResult(cb)).result).toBe(10);
  });

  it("a chain's link_error fires once, from the failing step", async () => {
    const eb = uniqId();
    const h = await apply(
      chain([sig("demo.add", [1, 1]), isig("demo.fail", ["chain boom"]), sig("demo.add", [1])], { link_error: [sig("demo.echo", [], { task_id: eb })] }),
    );
    expect((await waitResult(h.id)).state).toBe("FAILURE");
    const errback = await waitResult(eb);
    expect(errback.state).toBe("SUCCESS");
    const [request, exc] = errback.result.args;
    expect(request.id).toBe(h.parent!.id);
    expect(exc).toStrictEqual({ type: "DemoError", message: "chain boom" });
  });

  it("a chord's errback fires once when a header member fails, with ChordError", async () => {
    const eb = uniqId();
    const h = await apply(
      chord([sig("demo.fail", ["m1"]), sig("demo.fail", ["m2"]), sig("demo.add", [1, 1])], sig("demo.xsum"), { link_error: [sig("demo.echo", [], { task_id: eb })] }),
    );
    const body = await waitResult(h.id);
    expect(body.error?.type).toBe("ChordError");
    const errback = await waitResult(eb);
    expect(errback.result.args[1].type).toBe("ChordError");
  });

  it("a chord step fails in a chain with link_error: the errback runs, and the steps after the chord never do", async () => {
    const q = uniqQueue();
    const [eb, after] = [uniqId(), uniqId()];
    const h = await apply(
      chain([chord([sig("demo.fail", ["h"]), sig("demo.add", [1, 1])], sig("demo.xsum")), sig("demo.echo", ["after"], { queue: q, task_id: after })], {
        link_error: [isig("demo.echo", ["E"], { task_id: eb })],
      }),
    );
    expect(h.id).toBe(after);
    expect((await waitResult(after)).error?.type).toBe("ChordError");
    // The errback got the body's failure and started nothing (it carried the chain's rest, and
    // its success ran the step after the chord, whose result already read FAILURE).
    const r = await waitResult(eb);
    expect(r).toMatchObject({ state: "SUCCESS", result: { args: ["E"], kwargs: {} }, children: [] });
    const sentinel = await apply(sig("demo.identity", ["sentinel"], { queue: q }));
    await waitResult(sentinel.id);
    const stats = await waitQueue(q, (x) => x.waiting === 0 && x.leased === 0 && x.delayed === 0);
    expect(stats.completed).toBe(1); // the sentinel only
  });

  it("a group's link is applied to each member (each callback runs, with its member's result)", async () => {
    const q = uniqQueue();
    const h = await apply(group([sig("demo.identity", [7]), sig("demo.identity", [8])], { link: [sig("demo.identity", [], { queue: q })] }));
    await waitGroup(h.id);
    const stats = await waitQueue(q, (s) => s.completed >= 2);
    expect(stats.completed).toBe(2);
  });
});

describe("callbacks on a group that becomes a chord", () => {
  // Celery upgrades chain(group, step) to chord(group, step) and a group in a chord header to an
  // inner chord; the group keeps its own options, so its link still goes to each member.
  it("a group's link in a chain (group → chord upgrade) is applied to each member, not to the next step", async () => {
    const l = uniqId();
    const h = await apply(chain([group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])], { link: [sig("demo.echo", ["GL"], { task_id: l })] }), sig("demo.xsum")]));
    expect((await waitResult(h.id)).result).toBe(6);
    expect((await waitResult(`${l}-0`)).result).toStrictEqual({ args: [2, "GL"], kwargs: {} });
    expect((await waitResult(`${l}-1`)).result).toStrictEqual({ args: [4, "GL"], kwargs: {} });
    // Was called once, from the next step, with the list's sum.
    expect((await getResult(l)).state).toBe("PENDING");
  });

  it("a chord header written as a group signature: the group's link (with an id) goes to each member, as the group alone", async () => {
    const l = uniqId();
    const header = group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])], { link: [sig("demo.echo", ["HL"], { task_id: l })] });
    // Was 422: each member's copy of the callback kept the one id ("already the id of another task").
    const h = await apply({ ...chord([], sig("demo.xsum")), kwargs: { header, body: sig("demo.xsum"), kwargs: {} } });
    expect((await waitResult(h.id)).result).toBe(6);
    expect((await waitResult(`${l}-0`)).result).toStrictEqual({ args: [2, "HL"], kwargs: {} });
    expect((await waitResult(`${l}-1`)).result).toStrictEqual({ args: [4, "HL"], kwargs: {} });
  });

  it("a chord header written as a group signature with a task_id: that id is the chord's group id (Celery's chord.run)", async () => {
    const gid = uniqId();
    const header = group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])], { task_id: gid });
    const h = await apply({ ...chord([], sig("demo.xsum")), kwargs: { header, body: sig("demo.xsum"), kwargs: {} } });
    // Was a fresh id: the header group's task_id was dropped, and GET /v1/groups/<it> was 404.
    expect(h.parent?.id).toBe(gid);
    expect((await waitResult(h.id)).result).toBe(6);
    expect((await waitGroup(gid)).results.map((r) => r.result)).toStrictEqual([2, 4]);
  });

  it("a group's link_error inside a chord header fires from the failing member", async () => {
    const e = uniqId();
    const h = await apply(chord([group([sig("demo.add", [1, 1]), sig("demo.fail", ["m"])], { link_error: [sig("demo.echo", ["GE"], { task_id: e })] }), sig("demo.add", [1, 1])], sig("demo.xsum")));
    expect((await waitResult(h.id)).state).toBe("FAILURE");
    const eb = await waitResult(`${e}-1`);
    expect(eb.result.args.slice(1)).toStrictEqual([{ type: "DemoError", message: "m" }, "GE"]);
    expect((await getResult(e)).state).toBe("PENDING");
  });
});

describe("stamps", () => {
  it("a stamp on one step of a chain stays on that step (the guide's callback stamping)", async () => {
    const h = await apply(
      chain([sig("demo.stamps"), sig("demo.stamps", [], { stamped_headers: ["validation"], validation: { strict: true } }), isig("demo.stamps")]),
    );
    const last = await waitResult(h.id);
    const middle = await waitResult(h.parent!.id);
    expect(middle.result).toMatchObject({ validation: { strict: true } });
    expect(last.result).not.toHaveProperty("validation");
  });

  it("stamps survive retries (the link that fires after the last retry still carries them)", async () => {
    const cb = uniqId();
    const h = await apply(sig("demo.retry_until", [3], { stamps: { tenant: "acme" }, link: [isig("demo.stamps", [], { task_id: cb })] }));
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.retries).toBe(2);
    expect((await waitResult(cb)).result).toStrictEqual({ tenant: "acme" });
  });

  it("call-time options cannot change a signature's stamps", async () => {
    const h = await apply({ signature: sig("demo.stamps", [], { stamps: { level: "gold" } }), options: { stamps: { level: "lead" } } });
    expect((await waitResult(h.id)).result).toStrictEqual({ level: "gold" });
  });
});

describe("big fan-in", () => {
  it("a chord of 10,000 members completes with every result in order", async () => {
    const header = Array.from({ length: 10_000 }, (_, i) => sig("demo.identity", [i % 3]));
    const h = await apply(chord(header, sig("demo.xsum")));
    const r = await waitResult(h.id, 120_000);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(Array.from({ length: 10_000 }, (_, i) => i % 3).reduce((a, b) => a + b, 0));
  }, 150_000);
});

describe("a chord whose header results are too large for one task message", () => {
  it("passes them to the body through R2: the body gets every result, in order", async () => {
    const h = await apply(chord([sig("demo.blob", [60_000]), sig("demo.blob", [70_000]), sig("demo.blob", [80_000])], sig("demo.echo")));
    const body = await waitResult(h.id);
    expect(body.state).toBe("SUCCESS");
    const [list] = (body.result as { args: unknown[] }).args as [string[]];
    expect(list.map((s) => s.length)).toEqual([60_000, 70_000, 80_000]);
    expect(list.every((s) => /^x+$/.test(s))).toBe(true);
  });

  it("a chord of 2,000 members whose results add up to ~200 KB reaches its body", async () => {
    const header = Array.from({ length: 2_000 }, (_, i) => sig("demo.identity", [`${i}`.padStart(100, "0")]));
    const h = await apply(chord(header, sig("demo.echo")));
    const body = await waitResult(h.id, 120_000);
    expect(body.state).toBe("SUCCESS");
    const [list] = (body.result as { args: unknown[] }).args as [string[]];
    expect(list).toHaveLength(2_000);
    expect(list.map(Number)).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
  }, 150_000);
});

describe("more bad canvases → 422, nothing enqueued", () => {
  it("chunks with n = 0", async () => {
    const id = uniqId();
    const res = await api("POST", "/v1/apply", chunks(sig("demo.add", [], { task_id: id }), [[1, 2]], 0));
    expectError(res, 422, "invalid_signature", "kwargs.n");
  });

  it("an unknown canvas primitive", async () => {
    const res = await api("POST", "/v1/apply", { task: "celery.zigzag", kwargs: {} });
    expectError(res, 422, "invalid_signature", "task");
  });

  it("a link that is not a signature", async () => {
    const id = uniqId();
    const res = await api("POST", "/v1/apply", sig("demo.add", [1, 2], { task_id: id, link: [42] }));
    expectError(res, 422, "invalid_signature", "options.link.0");
    await expectAllPending([id]);
  });

  it("a chord without a body", async () => {
    const res = await api("POST", "/v1/apply", { task: "celery.chord", kwargs: { header: [sig("demo.noop")] }, subtask_type: "chord" });
    expectError(res, 422, "invalid_signature", "kwargs.body");
  });
});
