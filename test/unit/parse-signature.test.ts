// Unit tests of src/protocol/parse-signature.ts: Celery wire JSON → typed Canvas, and the
// contract's `invalid_signature` errors with their exact dotted paths.
import { describe, expect, it } from "vitest";
import { wireError } from "./wire-error.js";
import { CELERY_ONLY_OPTION_NAMES, EDGERY_OPTION_NAMES, MAX_CANVAS_DEPTH, MAX_CANVAS_TASKS, WireError, checkDepth, parseOptions, parseSignature, toWire, type Canvas } from "../../src/protocol/index.js";

const t = (task: string, args: unknown[] = [], extra: Record<string, unknown> = {}) => ({ task, args, kwargs: {}, options: {}, subtask_type: null, immutable: false, ...extra });

/** Expects `invalid_signature` at exactly `path`. */
function expectInvalid(value: unknown, path: string | undefined, parsePath?: string) {
  const e = wireError(() => parseSignature(value, parsePath));
  expect(e.code).toBe("invalid_signature");
  expect(e.status).toBe(422);
  expect(e.path).toBe(path);
  return e;
}

describe("tasks", () => {
  it("only task is required; defaults fill the rest", () => {
    expect(parseSignature({ task: "demo.add" })).toStrictEqual({ kind: "task", name: "demo.add", args: [], kwargs: {}, options: {}, immutable: false });
  });

  it("a full Celery dict(sig), with subtask_type null, immutable and chord_size", () => {
    const node = parseSignature({ task: "demo.add", args: [2, 2], kwargs: { z: 1 }, options: { queue: "math" }, subtask_type: null, immutable: true, chord_size: null });
    expect(node).toStrictEqual({ kind: "task", name: "demo.add", args: [2, 2], kwargs: { z: 1 }, options: { queue: "math" }, immutable: true });
  });

  it("an option written beside `task` instead of under `options` fails at its own key, not silently ignored", () => {
    const e = expectInvalid({ task: "demo.add", args: [1], queue: "emails" }, "queue");
    expect(e.message).toContain('under "options"');
    expect(e.message).toContain("options.queue");
    // Every option edgery reads, at any depth of a canvas, with the given prefix.
    for (const name of EDGERY_OPTION_NAMES) expectInvalid({ task: "demo.add", [name]: 1 }, name);
    expectInvalid({ task: "celery.chain", kwargs: { tasks: [t("a"), { ...t("b"), countdown: 5 }] } }, "kwargs.tasks.1.countdown");
    expectInvalid({ task: "demo.add", priority: 9 }, "signature.priority", "signature");
    // Celery's own top-level keys stay accepted (chord_size is Celery 5's; unknown others are ignored).
    expect(parseSignature({ ...t("demo.add"), chord_size: 3, retries: 2 }).kind).toBe("task");
  });

  it("null args/kwargs/options/immutable mean 'not set'", () => {
    expect(parseSignature({ task: "x", args: null, kwargs: null, options: null, immutable: null })).toStrictEqual({
      kind: "task",
      name: "x",
      args: [],
      kwargs: {},
      options: {},
      immutable: false,
    });
  });

  it("a task named like an Object.prototype member is a plain task", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      const node = parseSignature({ task: name });
      expect(node).toMatchObject({ kind: "task", name });
    }
  });

  it("rejects a missing or empty task name at `task`", () => {
    expectInvalid({ args: [] }, "task");
    expectInvalid({ task: "" }, "task");
    expectInvalid({ task: 5 }, "task");
  });

  it("rejects non-objects at the root (no path) and at a given path", () => {
    expectInvalid([], undefined);
    expectInvalid("demo.add", undefined);
    expectInvalid(null, undefined);
    expectInvalid(7, "signature", "signature");
  });

  it("wrong types name their field", () => {
    expectInvalid({ task: "x", args: {} }, "args");
    expectInvalid({ task: "x", kwargs: [] }, "kwargs");
    expectInvalid({ task: "x", options: [] }, "options");
    expectInvalid({ task: "x", immutable: "yes" }, "immutable");
  });

  it("paths are relative to the given prefix", () => {
    expectInvalid({ task: "x", options: { priority: 10 } }, "signature.options.priority", "signature");
    expectInvalid({ task: "x", options: { priority: 10 } }, "signatures.3.options.priority", "signatures.3");
  });

  it("an unknown celery.* primitive fails at `task`; an unknown subtask_type at `subtask_type`", () => {
    const e = expectInvalid({ task: "celery.backend_cleanup" }, "task");
    expect(e.message).toContain("celery.backend_cleanup");
    expectInvalid({ task: "demo.add", subtask_type: "weird" }, "subtask_type");
    expectInvalid({ task: "celery.chain", kwargs: { tasks: [t("a"), { task: "celery.nope" }] } }, "kwargs.tasks.1.task");
  });
});

describe("options", () => {
  it("priority: integers 0-9 only", () => {
    for (const p of [0, 5, 9]) expect(parseSignature({ task: "x", options: { priority: p } }).options.priority).toBe(p);
    for (const p of [-1, 10, 1.5, "5", true]) expectInvalid({ task: "x", options: { priority: p } }, "options.priority");
  });

  it("priority null is 'not set'", () => {
    expect(parseSignature({ task: "x", options: { priority: null } }).options).toStrictEqual({});
  });

  it("countdown: non-negative number", () => {
    expect(parseSignature({ task: "x", options: { countdown: 0 } }).options.countdown).toBe(0);
    expect(parseSignature({ task: "x", options: { countdown: 1.5 } }).options.countdown).toBe(1.5);
    const e = expectInvalid({ task: "x", options: { countdown: -1 } }, "options.countdown");
    expect(e.message).toContain("negative");
    expectInvalid({ task: "x", options: { countdown: "10" } }, "options.countdown");
  });

  it("eta: ISO-8601; both eta and countdown fail at options.eta", () => {
    expect(parseSignature({ task: "x", options: { eta: "2030-01-01T00:00:00Z" } }).options.eta).toBe("2030-01-01T00:00:00Z");
    expectInvalid({ task: "x", options: { eta: "next tuesday" } }, "options.eta");
    expectInvalid({ task: "x", options: { eta: 12345 } }, "options.eta");
    expectInvalid({ task: "x", options: { eta: "2030-01-01T00:00:00Z", countdown: 5 } }, "options.eta");
  });

  it("far-future eta/countdown: ten years ahead accepted, later than a queue can hold is invalid at the option's path", () => {
    const tenYears = 10 * 366 * 24 * 3600;
    expect(parseSignature({ task: "x", options: { countdown: tenYears } }).options.countdown).toBe(tenYears);
    const inTenYears = new Date(Date.now() + tenYears * 1000).toISOString();
    expect(parseSignature({ task: "x", options: { eta: inTenYears } }).options.eta).toBe(inTenYears);
    expectInvalid({ task: "x", options: { countdown: 1e300 } }, "options.countdown");
    expectInvalid({ task: "x", options: { eta: "+275760-09-13T00:00:00.000Z" } }, "options.eta");
    expectInvalid({ task: "x", options: { eta: "2999-01-01T00:00:00Z" } }, "options.eta");
    // In a canvas, at the member's own path.
    expectInvalid({ task: "celery.group", kwargs: { tasks: [{ task: "x" }, { task: "y", options: { countdown: 1e300 } }] } }, "kwargs.tasks.1.options.countdown");
  });

  it("eta with countdown null is fine (null = not set)", () => {
    expect(parseSignature({ task: "x", options: { eta: "2030-01-01T00:00:00Z", countdown: null } }).options).toStrictEqual({ eta: "2030-01-01T00:00:00Z" });
  });

  it("expires: seconds or ISO-8601 (a past value is accepted)", () => {
    expect(parseSignature({ task: "x", options: { expires: 30 } }).options.expires).toBe(30);
    expect(parseSignature({ task: "x", options: { expires: -5 } }).options.expires).toBe(-5);
    expect(parseSignature({ task: "x", options: { expires: "2030-01-01T00:00:00Z" } }).options.expires).toBe("2030-01-01T00:00:00Z");
    expectInvalid({ task: "x", options: { expires: "soon" } }, "options.expires");
    expectInvalid({ task: "x", options: { expires: true } }, "options.expires");
  });

  it("eta and expires are ISO-8601 only: a string Date.parse reads otherwise is refused at its path, not run at a time the caller did not mean", () => {
    // "2" was the year 2001: an `expires: "2"` meant as two seconds ended its task REVOKED at once.
    for (const text of ["1", "2", "Tue, 01 Dec 2026 12:00:00 GMT", "December 1, 2030", "2030-02-30T00:00:00Z"]) {
      expectInvalid({ task: "x", options: { eta: text } }, "options.eta");
      expectInvalid({ task: "x", options: { expires: text } }, "options.expires");
    }
    expect(parseSignature({ task: "x", options: { eta: "2030-01-01 12:00:00.123456+01:00" } }).options.eta).toBe("2030-01-01 12:00:00.123456+01:00");
  });

  it("ids and keys with a lone surrogate are refused at their path (the queue stored U+FFFD and the task held its lease for good); a well-formed astral character is fine", () => {
    for (const option of ["task_id", "group_id", "chord_id", "idempotency_key", "rate_limit_key"]) {
      expectInvalid({ task: "x", options: { [option]: "LS\ud800" } }, `options.${option}`);
      expectInvalid({ task: "x", options: { [option]: "\udc00" } }, `options.${option}`);
      expect(() => parseSignature({ task: "x", options: { [option]: "ok-😀" } })).not.toThrow();
    }
    expectInvalid({ task: "celery.group", kwargs: { tasks: [{ task: "x", options: { task_id: "b\ud83dz" } }] } }, "kwargs.tasks.0.options.task_id");
  });

  it("scalar option types", () => {
    expectInvalid({ task: "x", options: { queue: "" } }, "options.queue");
    expectInvalid({ task: "x", options: { queue: "has space" } }, "options.queue");
    expectInvalid({ task: "x", options: { soft_time_limit: 0 } }, "options.soft_time_limit");
    expectInvalid({ task: "x", options: { time_limit: -1 } }, "options.time_limit");
    expectInvalid({ task: "x", options: { max_retries: 1.5 } }, "options.max_retries");
    expectInvalid({ task: "x", options: { acks_late: "yes" } }, "options.acks_late");
    expectInvalid({ task: "x", options: { ignore_result: "yes" } }, "options.ignore_result");
    expectInvalid({ task: "x", options: { stamped_headers: "a" } }, "options.stamped_headers");
    expectInvalid({ task: "x", options: { stamped_headers: ["a", 1] } }, "options.stamped_headers.1");
    expectInvalid({ task: "x", options: { stamps: [] } }, "options.stamps");
  });

  it("extra options (stamp values) are kept", () => {
    const o = parseSignature({ task: "x", options: { stamped_headers: ["tenant"], tenant: "acme", stamps: { priority: "high" } } }).options;
    expect(o).toStrictEqual({ stamped_headers: ["tenant"], tenant: "acme", stamps: { priority: "high" } });
  });

  it("link and link_error: one signature or a list, parsed to a list of canvases", () => {
    const one = parseSignature({ task: "x", options: { link: t("cb", [1]), link_error: [t("eb"), t("eb2")] } });
    expect(one.options.link).toStrictEqual([{ kind: "task", name: "cb", args: [1], kwargs: {}, options: {}, immutable: false }]);
    expect(one.options.link_error?.map((c) => (c as { name: string }).name)).toStrictEqual(["eb", "eb2"]);
    const chainCb = parseSignature({ task: "x", options: { link: { task: "celery.chain", kwargs: { tasks: [t("a"), t("b")] } } } });
    expect(chainCb.options.link?.[0]?.kind).toBe("chain");
  });

  it("errors inside callbacks have their path", () => {
    expectInvalid({ task: "x", options: { link: [t("ok"), { task: "y", options: { priority: 11 } }] } }, "options.link.1.options.priority");
    expectInvalid({ task: "x", options: { link: { task: "y", options: { countdown: -1 } } } }, "options.link.options.countdown");
    expectInvalid({ task: "x", options: { link_error: [42] } }, "options.link_error.0");
  });

  it("parseOptions on its own", () => {
    expect(parseOptions({ queue: "q", priority: 3 }, "options")).toStrictEqual({ queue: "q", priority: 3 });
    const e = wireError(() => parseOptions({ priority: 99 }, "options"));
    expect(e.path).toBe("options.priority");
  });
});

describe("chain and group", () => {
  it("chain", () => {
    const node = parseSignature({ task: "celery.chain", args: [], kwargs: { tasks: [t("a", [1]), t("b")] }, options: {}, subtask_type: "chain", immutable: false });
    expect(node.kind).toBe("chain");
    if (node.kind !== "chain") throw new Error();
    expect(node.tasks.map((s) => (s.kind === "task" ? s.name : s.kind))).toStrictEqual(["a", "b"]);
    expect(node.kwargs).toStrictEqual({});
    expect(node.tasks[0]).toMatchObject({ args: [1] });
  });

  it("group, with a nested chain", () => {
    const node = parseSignature({
      task: "celery.group",
      kwargs: { tasks: [t("a"), { task: "celery.chain", kwargs: { tasks: [t("b"), t("c")] }, subtask_type: "chain" }] },
      subtask_type: "group",
    });
    if (node.kind !== "group") throw new Error("not a group");
    expect(node.tasks[1]?.kind).toBe("chain");
  });

  it("tasks must be a list; member errors are indexed", () => {
    expectInvalid({ task: "celery.group", kwargs: {} }, "kwargs.tasks");
    expectInvalid({ task: "celery.chain", kwargs: { tasks: {} } }, "kwargs.tasks");
    expectInvalid({ task: "celery.group", kwargs: { tasks: [t("a"), { task: "b", options: { priority: 10 } }] } }, "kwargs.tasks.1.options.priority");
    expectInvalid({ task: "celery.group", kwargs: { tasks: [t("a"), "b"] } }, "kwargs.tasks.1");
  });

  it("nested canvas errors carry the full path", () => {
    const sig = {
      task: "celery.chain",
      kwargs: {
        tasks: [t("a"), { task: "celery.group", kwargs: { tasks: [t("b"), t("c", [], { options: { priority: -3 } })] } }],
      },
    };
    expectInvalid(sig, "kwargs.tasks.1.kwargs.tasks.1.options.priority");
  });
});

describe("chord", () => {
  const body = t("demo.xsum");
  it("header as a list", () => {
    const node = parseSignature({ task: "celery.chord", kwargs: { header: [t("a"), t("b")], body, kwargs: {} }, subtask_type: "chord", chord_size: null });
    if (node.kind !== "chord") throw new Error("not a chord");
    expect(node.header).toHaveLength(2);
    expect(node.body).toMatchObject({ kind: "task", name: "demo.xsum" });
    expect(node.kwargs).toStrictEqual({});
  });

  it("header as a group signature (Celery 5.3's dict(chord))", () => {
    const node = parseSignature({
      task: "celery.chord",
      kwargs: { header: { task: "celery.group", kwargs: { tasks: [t("a"), t("b"), t("c")] }, subtask_type: "group" }, body, kwargs: { k: 1 } },
      subtask_type: "chord",
    });
    if (node.kind !== "chord") throw new Error("not a chord");
    expect(node.header.map((m) => (m.kind === "task" ? m.name : ""))).toStrictEqual(["a", "b", "c"]);
    expect(node.kwargs).toStrictEqual({ k: 1 });
  });

  it("a chord without body fails at kwargs.body", () => {
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a")] } }, "kwargs.body");
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a")], body: null } }, "kwargs.body");
  });

  it("header errors and inner kwargs type", () => {
    expectInvalid({ task: "celery.chord", kwargs: { body } }, "kwargs.header");
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a"), t("b", [], { options: { priority: 12 } })], body } }, "kwargs.header.1.options.priority");
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a")], body, kwargs: [] } }, "kwargs.kwargs");
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a")], body: { task: "b", options: { countdown: -2 } } } }, "kwargs.body.options.countdown");
  });

  it("an empty header is allowed", () => {
    const node = parseSignature({ task: "celery.chord", kwargs: { header: [], body } });
    expect(node.kind === "chord" && node.header).toStrictEqual([]);
  });
});

describe("map, starmap, chunks", () => {
  it("map (subtask_type null, always immutable)", () => {
    const node = parseSignature({ task: "celery.map", kwargs: { task: t("demo.identity"), it: [1, 2, 3] }, subtask_type: null, immutable: false });
    expect(node).toMatchObject({ kind: "map", it: [1, 2, 3], immutable: true, task: { kind: "task", name: "demo.identity" } });
  });

  it("starmap needs lists of args", () => {
    const node = parseSignature({ task: "celery.starmap", kwargs: { task: t("demo.add"), it: [[1, 2], [3, 4]] }, subtask_type: null, immutable: true });
    expect(node).toMatchObject({ kind: "starmap", it: [[1, 2], [3, 4]], immutable: true });
    expectInvalid({ task: "celery.starmap", kwargs: { task: t("demo.add"), it: [[1, 2], 3] } }, "kwargs.it.1");
  });

  it("chunks, subtask_type null or chunks", () => {
    for (const st of [null, "chunks"]) {
      const node = parseSignature({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1], [2, 2], [3, 3]], n: 2 }, subtask_type: st, immutable: true });
      expect(node).toMatchObject({ kind: "chunks", n: 2, it: [[1, 1], [2, 2], [3, 3]], immutable: true });
    }
  });

  it("chunks count one task per chunk against the canvas limit, as a group of as many tasks does", () => {
    const items = (k: number) => Array.from({ length: k }, (_, i) => [i]);
    const group = (k: number) => ({ task: "celery.group", kwargs: { tasks: Array.from({ length: k }, () => t("demo.echo")) } });
    expect(parseSignature({ task: "celery.chunks", kwargs: { task: t("demo.echo"), it: items(MAX_CANVAS_TASKS), n: 1 } })).toMatchObject({ kind: "chunks" });
    expect(parseSignature(group(MAX_CANVAS_TASKS))).toMatchObject({ kind: "group" });
    const e = expectInvalid({ task: "celery.chunks", kwargs: { task: t("demo.echo"), it: items(MAX_CANVAS_TASKS + 1), n: 1 } }, "kwargs.it");
    expect(e.message).toContain(`${MAX_CANVAS_TASKS + 1} chunks`);
    expectInvalid(group(MAX_CANVAS_TASKS + 1), `kwargs.tasks.${MAX_CANVAS_TASKS}`);
    expect(parseSignature({ task: "celery.chunks", kwargs: { task: t("demo.echo"), it: [], n: 1 } })).toMatchObject({ kind: "chunks", it: [] });
  });

  it("chunks n must be an integer >= 1 (kwargs.n)", () => {
    for (const n of [0, -1, 1.5, "2", undefined]) {
      expectInvalid({ task: "celery.chunks", kwargs: { task: t("demo.add"), it: [[1, 1]], n } }, "kwargs.n");
    }
  });

  it("it must be a list; the task must be a plain task", () => {
    expectInvalid({ task: "celery.map", kwargs: { task: t("a"), it: "abc" } }, "kwargs.it");
    expectInvalid({ task: "celery.map", kwargs: { it: [1] } }, "kwargs.task");
    expectInvalid({ task: "celery.map", kwargs: { task: { task: "celery.group", kwargs: { tasks: [] } }, it: [1] } }, "kwargs.task");
    expectInvalid({ task: "celery.chunks", kwargs: { task: t("a", [], { options: { priority: 10 } }), it: [], n: 1 } }, "kwargs.task.options.priority");
  });
});

describe("limits", () => {
  /** `levels` groups around one task: the task sits at depth levels + 1. */
  function nested(levels: number): unknown {
    let sig: unknown = t("leaf");
    for (let i = 0; i < levels; i++) sig = { task: "celery.group", kwargs: { tasks: [sig] } };
    return sig;
  }

  it(`a canvas ${MAX_CANVAS_DEPTH} levels deep is accepted, one level more is rejected`, () => {
    expect(() => parseSignature(nested(MAX_CANVAS_DEPTH - 1))).not.toThrow();
    const e = expectInvalid(nested(MAX_CANVAS_DEPTH), Array(MAX_CANVAS_DEPTH).fill("kwargs.tasks.0").join("."));
    expect(e.message).toContain(String(MAX_CANVAS_DEPTH));
  });

  it("depth counts through callbacks too", () => {
    let sig: unknown = t("leaf");
    for (let i = 0; i < MAX_CANVAS_DEPTH; i++) sig = { task: "x", options: { link: [sig] } };
    expect(wireError(() => parseSignature(sig)).code).toBe("invalid_signature");
  });

  it("a chord of 10,000 members fits", () => {
    const header = Array.from({ length: 10_000 }, (_, i) => ({ task: "a", args: [i] }));
    const node = parseSignature({ task: "celery.chord", kwargs: { header, body: t("b") } });
    expect(node.kind === "chord" && node.header.length).toBe(10_000);
  });

  it(`more than ${MAX_CANVAS_TASKS} tasks is rejected`, () => {
    const ok = Array.from({ length: MAX_CANVAS_TASKS }, () => ({ task: "a" }));
    expect(() => parseSignature({ task: "celery.group", kwargs: { tasks: ok } })).not.toThrow();
    const tooMany = [...ok, { task: "a" }];
    const e = expectInvalid({ task: "celery.group", kwargs: { tasks: tooMany } }, `kwargs.tasks.${MAX_CANVAS_TASKS}`);
    expect(e.message).toContain(String(MAX_CANVAS_TASKS));
  });

  it("chunks count their chunk tasks toward the size limit", () => {
    const it = Array.from({ length: MAX_CANVAS_TASKS + 1 }, (_, i) => [i]);
    expectInvalid({ task: "celery.chunks", kwargs: { task: t("a"), it, n: 1 } }, "kwargs.it");
    expect(() => parseSignature({ task: "celery.chunks", kwargs: { task: t("a"), it, n: 2 } })).not.toThrow();
  });
});

describe("toWire round trip", () => {
  it("parse(toWire(parse(x))) equals parse(x)", () => {
    const sig = {
      task: "celery.chain",
      kwargs: {
        tasks: [
          t("a", [1], { options: { priority: 3, link: [t("cb")] } }),
          { task: "celery.chord", kwargs: { header: [t("b"), t("c")], body: t("d"), kwargs: {} }, subtask_type: "chord" },
          { task: "celery.chunks", kwargs: { task: t("e"), it: [[1], [2]], n: 1 } },
          { task: "celery.map", kwargs: { task: t("f"), it: [1] } },
        ],
      },
    };
    const once: Canvas = parseSignature(sig);
    expect(parseSignature(toWire(once))).toStrictEqual(once);
  });
});

describe("a chord header written as a group signature keeps the group's options", () => {
  it("its queue, stamps and link reach each member; a member's own options win", () => {
    const chord = parseSignature({
      task: "celery.chord",
      kwargs: {
        header: {
          task: "celery.group",
          kwargs: { tasks: [{ task: "a" }, { task: "b", options: { queue: "own" } }] },
          options: { queue: "gq", stamps: { tenant: "t1" }, link: [{ task: "cb" }] },
          subtask_type: "group",
        },
        body: { task: "body" },
      },
      subtask_type: "chord",
    });
    if (chord.kind !== "chord") throw new Error("not a chord");
    expect(chord.header.map((m) => m.options.queue)).toStrictEqual(["gq", "own"]);
    expect(chord.header.map((m) => m.options.stamps)).toStrictEqual([{ tenant: "t1" }, { tenant: "t1" }]);
    expect(chord.header.map((m) => (m.options.link ?? []).map((l) => (l.kind === "task" ? l.name : l.kind)))).toStrictEqual([["cb"], ["cb"]]);
  });
});

describe("hostile values", () => {
  const deep = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };

  it("args, kwargs or options nested 4,000 deep are refused with 422, not a stack overflow", () => {
    expect(wireError(() => parseSignature({ task: "demo.add", args: [deep(4000)] })).path).toMatch(/^args\.0(\.0)+$/);
    expect(wireError(() => parseSignature({ task: "demo.add", kwargs: { k: deep(4000) } })).code).toBe("invalid_signature");
    expect(wireError(() => parseSignature({ task: "demo.add", options: { stamps: { s: deep(4000) } } })).code).toBe("invalid_signature");
    expect(wireError(() => checkDepth(deep(4000), "args")).status).toBe(422);
    // Deep but within the limit is fine.
    expect(parseSignature({ task: "demo.add", args: [deep(100)] }).kind).toBe("task");
  });

  it("ids the planner reads must be strings: options.chord_id {} and group_id [] are 422 at their path", () => {
    expectInvalid({ task: "celery.chord", kwargs: { header: [t("a")], body: t("b") }, options: { chord_id: {} } }, "options.chord_id");
    expectInvalid({ task: "demo.add", options: { group_id: [] } }, "options.group_id");
  });

  it("huge numbers for countdown, expires, time limits, result_expires and max_retries are refused", () => {
    for (const [k, v] of [["countdown", 1e300], ["expires", 1e300], ["soft_time_limit", 1e20], ["time_limit", 1e20], ["result_expires", 1e300], ["max_retries", 1e300]] as const) {
      expectInvalid({ task: "demo.add", options: { [k]: v } }, `options.${k}`);
    }
    expectInvalid({ task: "demo.add", options: { priority: 1e300 } }, "options.priority");
  });

  it("__proto__ keys stay plain data (kwargs) or are refused as an unknown option, never a prototype", () => {
    // An options key `__proto__` is no option name: refused (it was dropped before options were checked).
    expectInvalid(JSON.parse('{"task":"demo.add","options":{"__proto__":{"priority":9,"queue":"evil"}}}'), "options.__proto__");
    const body = JSON.parse('{"task":"demo.add","kwargs":{"__proto__":{"a":1}}}');
    const node = parseSignature(body);
    expect(Object.getPrototypeOf(node.options)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(node.kwargs)).toBe(Object.prototype);
    expect(Object.hasOwn(node.kwargs, "__proto__")).toBe(true);
  });
});

describe("option names are checked", () => {
  it("a misspelled or foreign option name is refused at its path", () => {
    expectInvalid({ task: "x", options: { countdwn: 5 } }, "options.countdwn");
    expectInvalid({ task: "x", options: { backend: "d1" } }, "options.backend");
    // Unknown even when null: the name itself is the mistake.
    expectInvalid({ task: "x", options: { queu: null } }, "options.queu");
    expectInvalid({ task: "x", options: { countdwn: 5 } }, "signature.options.countdwn", "signature");
    expectInvalid({ task: "celery.chain", kwargs: { tasks: [t("a"), { task: "b", options: { prioirty: 1 } }] } }, "kwargs.tasks.1.options.prioirty");
    expectInvalid({ task: "x", options: { link: [{ task: "cb", options: { retires: 1 } }] } }, "options.link.0.options.retires");
    expect(wireError(() => parseOptions({ ttl: 5 }, "options")).path).toBe("options.ttl");
    // Names of Object.prototype are no option names either.
    for (const name of ["constructor", "toString", "hasOwnProperty"]) expectInvalid({ task: "x", options: { [name]: 1 } }, `options.${name}`);
  });

  it("every name of the list is accepted", () => {
    for (const name of [...CELERY_ONLY_OPTION_NAMES]) {
      expect(() => parseSignature({ task: "x", options: { [name]: null } }), name).not.toThrow();
    }
    for (const name of EDGERY_OPTION_NAMES) expect(() => parseSignature({ task: "x", options: { [name]: null } }), name).not.toThrow();
  });

  it("what Celery 5 writes for a frozen, stamped, retried signature is accepted", () => {
    // dict(add.s(2, 2).set(...).freeze()) after a stamp visitor and signature_from_request.
    const options = {
      task_id: "6a3f2b0e-1d2c-4c7e-9b1a-0f1e2d3c4b5a",
      reply_to: "a1b2c3",
      group_id: null,
      group_index: null,
      chord: null,
      root_id: null,
      parent_id: null,
      stamped_headers: ["on_signature"],
      stamps: { on_signature: "x" },
      on_signature: "x",
      headers: { custom: 1 },
      exchange: "",
      routing_key: "celery",
      priority: 0,
      redelivered: false,
      retries: 1,
      shadow: "add-shadow",
      argsrepr: "(2, 2)",
      kwargsrepr: "{}",
      serializer: "json",
      retry: true,
      retry_policy: { max_retries: 3 },
    };
    expect(parseSignature({ task: "x", options }).options.task_id).toBe(options.task_id);
  });

  it("a stamp's own name is accepted only when stamped_headers lists it", () => {
    expectInvalid({ task: "x", options: { on_signature: "x" } }, "options.on_signature");
    expectInvalid({ task: "x", options: { stamped_headers: "on_signature", on_signature: "x" } }, "options.on_signature");
  });
});
