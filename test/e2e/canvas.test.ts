// Contract: canvas primitives (chain, group, chord, map, starmap, chunks), link / link_error,
// stamping, failure propagation, handles, and invalid canvases enqueueing nothing.
import { describe, expect, it } from "vitest";
import {
  api,
  apply,
  chain,
  chord,
  chunks,
  describeRes,
  expectAllPending,
  expectError,
  expectQueueEmpty,
  getResult,
  group,
  isig,
  map,
  pausedQueue,
  sig,
  starmap,
  uniqId,
  waitGroup,
  waitResult,
} from "./helpers";

describe("chain", () => {
  it("passes each result as the first argument of the next step; the handle chains parents", async () => {
    const [a, b, c] = [uniqId(), uniqId(), uniqId()];
    const h = await apply(
      chain([sig("demo.add", [2, 2], { task_id: a }), sig("demo.add", [4], { task_id: b }), sig("demo.add", [8], { task_id: c })]),
    );
    expect(h).toMatchObject({ id: c, kind: "task", parent: { id: b, kind: "task", parent: { id: a, kind: "task" } } });
    expect(h.parent!.parent!.parent ?? undefined).toBeUndefined();
    const rc = await waitResult(c);
    expect(rc.state).toBe("SUCCESS");
    expect(rc.result).toBe(16);
    expect((await waitResult(b)).result).toBe(8);
    expect((await waitResult(a)).result).toBe(4);
    // As in Celery, each step's parent is the step before it.
    expect(rc.parent_id).toBe(b);
    expect((await getResult(b)).parent_id).toBe(a);
  });

  it("options.task_id of a chain names its last step, of a chord its body (Celery's apply_async(task_id=...)): the handle and the result are found by it", async () => {
    const [x, y] = [uniqId(), uniqId()];
    const h = await apply(chain([sig("demo.add", [2, 2]), sig("demo.add", [4])], { task_id: x }));
    expect(h.id).toBe(x);
    expect(h.parent!.id).not.toBe(x);
    expect((await waitResult(x)).result).toBe(8);
    const c = await apply(chord([sig("demo.add", [1, 1]), sig("demo.add", [2, 2])], sig("demo.xsum"), { task_id: y }));
    expect(c.id).toBe(y);
    expect((await waitResult(y)).result).toBe(6);
  });

  it("an immutable step ignores its parent's result", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), isig("demo.echo", ["alone"])]));
    expect((await waitResult(h.id)).result).toEqual({ args: ["alone"], kwargs: {} });
  });

  it("a mutable step gets the parent's result before its partial args", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), sig("demo.echo", ["x"], {}, { kwargs: { k: 1 } })]));
    expect((await waitResult(h.id)).result).toEqual({ args: [2, "x"], kwargs: { k: 1 } });
  });

  it("a failing step: later steps never run and read FAILURE with the same error", async () => {
    const [a, b, c, d] = [uniqId(), uniqId(), uniqId(), uniqId()];
    const h = await apply(
      chain([
        sig("demo.add", [1, 1], { task_id: a }),
        isig("demo.fail", ["chain broke"], { task_id: b }),
        sig("demo.add", [1], { task_id: c }),
        sig("demo.add", [1], { task_id: d }),
      ]),
    );
    expect(h.id).toBe(d);
    const rd = await waitResult(d);
    expect(rd.state, JSON.stringify(rd)).toBe("FAILURE");
    expect(rd.error).toMatchObject({ type: "DemoError", message: "chain broke" });
    const rc = await waitResult(c);
    expect(rc.state).toBe("FAILURE");
    expect(rc.error).toMatchObject({ type: "DemoError", message: "chain broke" });
    // A step that never ran still names its task (was null).
    expect([rc.task, rd.task]).toStrictEqual(["demo.add", "demo.add"]);
    const rb = await waitResult(b);
    expect(rb.state).toBe("FAILURE");
    expect(rb.error).toMatchObject({ type: "DemoError", message: "chain broke" });
    expect((await waitResult(a)).result).toBe(2);
  });

  it("a result passed into a group reaches every member", async () => {
    const h = await apply(chain([sig("demo.add", [1, 2]), group([sig("demo.add", [10]), sig("demo.add", [20]), sig("demo.echo")])]));
    expect(h.kind).toBe("group");
    expect(h.parent?.kind).toBe("task");
    const g = await waitGroup(h.id);
    expect(g.results.map((r) => r.result)).toEqual([13, 23, { args: [3], kwargs: {} }]);
  });

  it("a chain into a chord: the result reaches every header member", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), chord([sig("demo.add", [1]), sig("demo.add", [2])], sig("demo.xsum"))]));
    expect((await waitResult(h.id)).result).toBe(7);
  });

  it("a chord followed by another step", async () => {
    const h = await apply(chain([chord([sig("demo.identity", [1]), sig("demo.identity", [2])], sig("demo.xsum")), sig("demo.add", [10])]));
    expect((await waitResult(h.id)).result).toBe(13);
  });
});

describe("subtasks a task sends itself", () => {
  it("are among its children (Celery's trail), each with the task as its parent", async () => {
    const res = await api("POST", "/v1/tasks/demo.spawn?wait=20", { args: [2, 3] });
    expect(res.status, describeRes(res)).toBe(200);
    const childId = res.json.result.result as string;
    expect(res.json.result.children).toEqual([childId]);
    const child = await waitResult(childId);
    expect(child).toMatchObject({ state: "SUCCESS", result: 5, parent_id: res.json.id });
  });
});

describe("group", () => {
  it("answers a group handle with member handles in order; /v1/groups/:id in member order", async () => {
    const ids = [uniqId(), uniqId(), uniqId()];
    const h = await apply(group([sig("demo.add", [1, 1], { task_id: ids[0] }), sig("demo.sleep", [200], { task_id: ids[1] }), sig("demo.add", [3, 3], { task_id: ids[2] })]));
    expect(h.kind).toBe("group");
    expect(h.results?.map((r) => r.id)).toEqual(ids);
    expect(h.results?.every((r) => r.kind === "task")).toBe(true);
    const g = await waitGroup(h.id);
    expect(g.id).toBe(h.id);
    expect(g.results.map((r) => r.id)).toEqual(ids);
    expect(g.results.map((r) => r.result)).toEqual([2, 200, 6]);
    expect(g).toMatchObject({ total: 3, completed: 3, ready: true, successful: true, failed: false });
    for (const r of g.results) expect(r.group_id).toBe(h.id);
  });

  it("a failed member makes the group failed and not successful", async () => {
    const h = await apply(group([sig("demo.add", [1, 1]), isig("demo.fail", ["member broke"])]));
    const g = await waitGroup(h.id);
    expect(g).toMatchObject({ total: 2, ready: true, successful: false, failed: true });
    expect(g.results[1]!.state).toBe("FAILURE");
    expect(g.results[1]!.error).toMatchObject({ type: "DemoError", message: "member broke" });
    expect(g.results[0]!.result).toBe(2);
  });

  it("a revoked member makes the group not successful but not failed (Celery's failed() counts FAILURE only)", async () => {
    const h = await apply(group([sig("demo.add", [1, 1]), sig("demo.noop", [], { expires: "2001-01-01T00:00:00Z" })]));
    const g = await waitGroup(h.id);
    expect(g.results[1]!.state).toBe("REVOKED");
    expect(g).toMatchObject({ total: 2, completed: 1, ready: true, successful: false, failed: false });
  });

  it("before it is ready, a plain GET answers ready false", async () => {
    const h = await apply(group([sig("demo.sleep", [1500]), sig("demo.noop")]));
    const res = await api("GET", `/v1/groups/${h.id}`);
    expect(res.status).toBe(200);
    expect(res.json.total).toBe(2);
    if (!res.json.ready) expect(res.json.completed).toBeLessThan(2);
    await waitGroup(h.id);
  });
});

describe("chord", () => {
  it("header demo.add×3, body demo.xsum → the sum; handle = body with parent = header group", async () => {
    const body = uniqId();
    const h = await apply(chord([sig("demo.add", [1, 1]), sig("demo.add", [2, 2]), sig("demo.add", [3, 3])], sig("demo.xsum", [], { task_id: body })));
    expect(h.id).toBe(body);
    expect(h.kind).toBe("task");
    expect(h.parent?.kind).toBe("group");
    expect(h.parent?.results).toHaveLength(3);
    const r = await waitResult(body);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(12);
    // The result links back as the handle does: the body's parent is the header group.
    expect(r.parent_id).toBe(h.parent!.id);
    const g = await waitGroup(h.parent!.id);
    expect(g.results.map((x) => x.result)).toEqual([2, 4, 6]);
  });

  it("the body receives the header results in header order", async () => {
    // Later members finish first; order must still follow the header.
    const header = [300, 200, 100, 0].map((ms) => sig("demo.sleep", [ms]));
    const h = await apply(chord(header, sig("demo.echo", ["tail"])));
    expect((await waitResult(h.id)).result).toEqual({ args: [[300, 200, 100, 0], "tail"], kwargs: {} });
  });

  it("an empty header calls the body with []", async () => {
    const h = await apply(chord([], sig("demo.echo")));
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toEqual({ args: [[]], kwargs: {} });
    // Its result links back as the handle does, as a non-empty chord's body (was null).
    expect(h.parent).toMatchObject({ kind: "group", results: [] });
    expect(r.parent_id).toBe(h.parent!.id);
  });

  it("an empty chord as a chain step: the body's parent is still its (empty) header group", async () => {
    const h = await apply(chain([sig("demo.add", [1, 1]), chord([], sig("demo.echo", ["e"]))]));
    const r = await waitResult(h.id);
    expect(r.result).toEqual({ args: [[], "e"], kwargs: {} });
    expect(r.parent_id).toBe(h.parent!.id);
  });

  it("a failing header member → body FAILURE ChordError naming the member id", async () => {
    const member = uniqId();
    const h = await apply(chord([sig("demo.add", [1, 1]), isig("demo.fail", ["header broke"], { task_id: member }), sig("demo.add", [2, 2])], sig("demo.xsum")));
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("ChordError");
    expect(r.error?.message).toContain(member);
    // The failed body reads as a succeeded one would: its task, and the header group as its
    // parent (were null: the body's result lost its link back to the chord).
    expect(r.task).toBe("demo.xsum");
    expect(r.parent_id).toBe(h.parent!.id);
    expect((await waitResult(member)).state).toBe("FAILURE");
  });
});

describe("map, starmap, chunks", () => {
  it("map: one task whose result is the list", async () => {
    const h = await apply(map(sig("demo.xsum"), [[1, 2], [3, 4], []]));
    expect(h.kind).toBe("task");
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toEqual([3, 7, 0]);
  });

  it("starmap: one task whose result is the list", async () => {
    const h = await apply(starmap(sig("demo.add"), [[1, 2], [3, 4], [5, 6]]));
    expect(h.kind).toBe("task");
    expect((await waitResult(h.id)).result).toEqual([3, 7, 11]);
  });

  it("chunks: a group of chunk tasks, each result a list", async () => {
    const h = await apply(chunks(sig("demo.add"), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], 2));
    expect(h.kind).toBe("group");
    expect(h.results).toHaveLength(3);
    const g = await waitGroup(h.id);
    expect(g.results.map((r) => r.result)).toEqual([[2, 4], [6, 8], [10]]);
    expect(g).toMatchObject({ total: 3, ready: true, successful: true });
  });

  it("chunks with subtask_type \"chunks\" is accepted too", async () => {
    const body = { ...chunks(sig("demo.add"), [[1, 2], [3, 4]], 1), subtask_type: "chunks" };
    const h = await apply(body);
    expect((await waitGroup(h.id)).results.map((r) => r.result)).toEqual([[3], [7]]);
  });
});

describe("link and link_error", () => {
  it("link callbacks get the result before their partial args", async () => {
    const [l1, l2, le] = [uniqId(), uniqId(), uniqId()];
    const h = await apply(
      sig("demo.add", [2, 3], {
        link: [sig("demo.identity", [], { task_id: l1 }), sig("demo.echo", ["a"], { task_id: l2 })],
        link_error: [sig("demo.echo", [], { task_id: le })],
      }),
    );
    expect((await waitResult(h.id)).result).toBe(5);
    expect((await waitResult(l1)).result).toBe(5);
    expect((await waitResult(l2)).result).toEqual({ args: [5, "a"], kwargs: {} });
    // No error: the error callback was not called.
    expect((await getResult(le)).state).toBe("PENDING");
  });

  it("link_error callbacks get (request, exc) before their partial args; link is not called", async () => {
    const [le, l] = [uniqId(), uniqId()];
    const h = await apply(
      sig("demo.fail", ["oops"], {
        link_error: [sig("demo.echo", ["extra"], { task_id: le })],
        link: [sig("demo.identity", [], { task_id: l })],
      }),
    );
    expect((await waitResult(h.id)).state).toBe("FAILURE");
    const r = await waitResult(le);
    expect(r.state).toBe("SUCCESS");
    expect(r.result.args).toHaveLength(3);
    expect(r.result.args[0]).toMatchObject({ id: h.id });
    expect(r.result.args[1]).toMatchObject({ type: "DemoError", message: "oops" });
    expect(r.result.args[2]).toBe("extra");
    expect(r.result.kwargs).toEqual({});
    expect((await getResult(l)).state).toBe("PENDING");
  });

  it("link on /v1/tasks/:name options", async () => {
    const l = uniqId();
    const res = await api("POST", "/v1/tasks/demo.mul", { args: [6, 7], options: { link: [sig("demo.identity", [], { task_id: l })] } });
    expect(res.status, describeRes(res)).toBe(202);
    expect((await waitResult(l)).result).toBe(42);
  });
});

describe("stamps", () => {
  it("stamps on a chord reach every header member, the body and its callbacks", async () => {
    const [m1, m2, cb] = [uniqId(), uniqId(), uniqId()];
    const h = await apply(
      chord(
        [sig("demo.stamps", [], { task_id: m1 }), sig("demo.stamps", [], { task_id: m2 })],
        isig("demo.stamps", [], { link: [isig("demo.stamps", [], { task_id: cb })] }),
        { stamps: { tenant: "acme" } },
      ),
    );
    const body = await waitResult(h.id);
    expect(body.state, JSON.stringify(body)).toBe("SUCCESS");
    expect(body.result).toMatchObject({ tenant: "acme" });
    for (const id of [m1, m2, cb]) {
      const r = await waitResult(id);
      expect(r.state, JSON.stringify(r)).toBe("SUCCESS");
      expect(r.result).toMatchObject({ tenant: "acme" });
    }
  });

  it("stamps on a chain reach every step", async () => {
    const first = uniqId();
    const h = await apply(chain([sig("demo.stamps", [], { task_id: first }), isig("demo.stamps")], { stamps: { run: 7 } }));
    expect((await waitResult(h.id)).result).toMatchObject({ run: 7 });
    expect((await waitResult(first)).result).toMatchObject({ run: 7 });
  });

  it("the stamped_headers form stamps a group's members", async () => {
    const h = await apply(group([sig("demo.stamps"), sig("demo.stamps")], { stamped_headers: ["tenant"], tenant: "globex" }));
    const g = await waitGroup(h.id);
    for (const r of g.results) expect(r.result).toMatchObject({ tenant: "globex" });
  });

  it("a stamp named like an option (the guide's stamp('priority', 'high'))", async () => {
    const h = await apply(sig("demo.stamps", [], { stamps: { priority: "high" } }));
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toMatchObject({ priority: "high" });
  });

  it("demo.request shows the stamps too", async () => {
    const h = await apply(sig("demo.request", [], { stamps: { tenant: "acme" } }));
    expect((await waitResult(h.id)).result.stamps).toMatchObject({ tenant: "acme" });
  });
});

describe("invalid canvases → 422 and nothing enqueued", () => {
  it("a chain with a bad step", async () => {
    const q = await pausedQueue();
    const a = uniqId();
    const body = chain([sig("demo.add", [1, 1], { queue: q, task_id: a }), sig("demo.add", [1], { queue: q, priority: 10 })]);
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature", "kwargs.tasks.1.options.priority");
    expectError(await api("POST", "/v1/apply", { signature: body }), 422, "invalid_signature", "signature.kwargs.tasks.1.options.priority");
    await expectAllPending([a]);
    await expectQueueEmpty(q);
  });

  it("a chord whose body has no task", async () => {
    const q = await pausedQueue();
    const ids = [uniqId(), uniqId()];
    const body = chord(ids.map((task_id) => sig("demo.identity", [1], { queue: q, task_id })), { args: [] });
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature", "kwargs.body.task");
    await expectAllPending(ids);
    await expectQueueEmpty(q);
  });

  it("a chord with a bad header member", async () => {
    const q = await pausedQueue();
    const ids = [uniqId(), uniqId()];
    const body = chord(
      [sig("demo.identity", [1], { queue: q, task_id: ids[0] }), sig("demo.identity", [2], { queue: q, countdown: -1 }), sig("demo.identity", [3], { queue: q, task_id: ids[1] })],
      sig("demo.xsum", [], { queue: q }),
    );
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature", "kwargs.header.1.options.countdown");
    await expectAllPending(ids);
    await expectQueueEmpty(q);
  });

  it("a chord with an unknown header task → unknown_task", async () => {
    const q = await pausedQueue();
    const ids = [uniqId(), uniqId()];
    const body = chord(
      [sig("demo.identity", [1], { queue: q, task_id: ids[0] }), sig("nope.not_registered", [], { queue: q })],
      sig("demo.xsum", [], { queue: q, task_id: ids[1] }),
    );
    expectError(await api("POST", "/v1/apply", body), 422, "unknown_task");
    await expectAllPending(ids);
    await expectQueueEmpty(q);
  });

  it.each([
    ["group tasks not a list", { ...group([]), kwargs: { tasks: { task: "demo.noop" } } }, "kwargs.tasks"],
    ["chain tasks missing", { ...chain([]), kwargs: {} }, "kwargs.tasks"],
    ["chord header not a list", { ...chord([], sig("demo.xsum")), kwargs: { header: "x", body: sig("demo.xsum"), kwargs: {} } }, "kwargs.header"],
    ["map it not a list", { ...map(sig("demo.identity"), []), kwargs: { task: sig("demo.identity"), it: 5 } }, "kwargs.it"],
    ["starmap task not a signature", { ...starmap(sig("demo.add"), []), kwargs: { task: "demo.add", it: [[1, 2]] } }, "kwargs.task"],
    ["chunks n = 0", chunks(sig("demo.add"), [[1, 1]], 0), "kwargs.n"],
    ["a bad link signature", sig("demo.add", [1, 1], { link: [{ task: 5 }] }), "options.link.0.task"],
    ["a bad link_error signature", sig("demo.add", [1, 1], { link_error: [{ task: "demo.echo", args: "x" }] }), "options.link_error.0.args"],
  ])("%s", async (_name, body, path) => {
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature", path);
  });

  it("a canvas nested deeper than 32", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    let s: any = sig("demo.noop", [], { queue: q, task_id: id });
    for (let i = 0; i < 40; i++) s = group([s]);
    expectError(await api("POST", "/v1/apply", s), 422, "invalid_signature");
    await expectAllPending([id]);
    await expectQueueEmpty(q);
  });
});
