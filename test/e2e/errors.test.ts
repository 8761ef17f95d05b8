// Contract: the "Errors" table (400, 413, 422 rows) and "No request, however malformed, may crash
// the Worker". After every test the server must still answer health.
import { afterEach, describe, expect, it } from "vitest";
import {
  api,
  chain,
  describeRes,
  expectAllPending,
  expectError,
  expectHealthy,
  expectQueueEmpty,
  pausedQueue,
  queueStats,
  sig,
  uniqId,
} from "./helpers";

afterEach(async () => {
  await expectHealthy();
});

describe("400 invalid_json", () => {
  it.each([
    ["POST", "/v1/apply"],
    ["POST", "/v1/tasks/demo.add"],
    ["POST", "/v1/apply/bulk"],
    ["PUT", "/v1/queues/t-invalid-json"],
  ])("%s %s with a body that is not JSON", async (method, path) => {
    expectError(await api(method, path, undefined, { rawBody: '{"task": "demo.add", "args": [1,' }), 400, "invalid_json");
    expectError(await api(method, path, undefined, { rawBody: "not json at all" }), 400, "invalid_json");
  });

  it("POST /v1/results/:id/revoke with a body that is not JSON", async () => {
    expectError(await api("POST", `/v1/results/${uniqId()}/revoke`, undefined, { rawBody: "{terminate: yes" }), 400, "invalid_json");
  });
});

describe("413 payload_too_large", () => {
  it("a body over 1 MiB", async () => {
    const id = uniqId();
    const big = "x".repeat(1024 * 1024 + 1024);
    const res = await api("POST", "/v1/apply", { task: "demo.identity", args: [big], options: { task_id: id } });
    expectError(res, 413, "payload_too_large");
    await expectAllPending([id]);
  });

  it("a body over 1 MiB on the bulk route", async () => {
    const chunk = "y".repeat(100 * 1024);
    const signatures = Array.from({ length: 12 }, () => ({ task: "demo.identity", args: [chunk] }));
    expectError(await api("POST", "/v1/apply/bulk", { signatures }), 413, "payload_too_large");
  });

  it("one message over 128 KB once encoded (/v1/tasks/:name)", async () => {
    const id = uniqId();
    const res = await api("POST", "/v1/tasks/demo.identity", { args: ["z".repeat(200 * 1024)], options: { task_id: id } });
    expectError(res, 413, "payload_too_large");
    await expectAllPending([id]);
  });

  it("one message over 128 KB once encoded (/v1/apply)", async () => {
    const res = await api("POST", "/v1/apply", { task: "demo.echo", kwargs: { blob: "z".repeat(140 * 1024) } });
    expectError(res, 413, "payload_too_large");
  });
});

describe("422 invalid_signature with the dotted path at fault", () => {
  const cases: Array<[string, string, unknown, string]> = [
    ["priority 10 (/v1/tasks)", "/v1/tasks/demo.add", { args: [1, 2], options: { priority: 10 } }, "options.priority"],
    ["priority -1 (/v1/tasks)", "/v1/tasks/demo.add", { args: [1, 2], options: { priority: -1 } }, "options.priority"],
    ["priority 1.5", "/v1/tasks/demo.add", { args: [1, 2], options: { priority: 1.5 } }, "options.priority"],
    ["priority as a string", "/v1/tasks/demo.add", { args: [1, 2], options: { priority: "high" } }, "options.priority"],
    ["priority 10 (bare signature)", "/v1/apply", { task: "demo.add", args: [1, 2], options: { priority: 10 } }, "options.priority"],
    [
      "priority 10 (wrapper form)",
      "/v1/apply",
      { signature: { task: "demo.add", args: [1, 2], options: { priority: 10 } } },
      "signature.options.priority",
    ],
    [
      "priority 10 in the wrapper's call-time options",
      "/v1/apply",
      { signature: { task: "demo.add", args: [1, 2] }, options: { priority: 10 } },
      "options.priority",
    ],
    ["negative countdown (/v1/tasks)", "/v1/tasks/demo.add", { args: [1, 2], options: { countdown: -1 } }, "options.countdown"],
    ["negative countdown (bare)", "/v1/apply", { task: "demo.add", args: [1, 2], options: { countdown: -5 } }, "options.countdown"],
    [
      "negative countdown (wrapper)",
      "/v1/apply",
      { signature: { task: "demo.add", args: [1, 2], options: { countdown: -1 } } },
      "signature.options.countdown",
    ],
    ["countdown as a string", "/v1/apply", { task: "demo.add", options: { countdown: "soon" } }, "options.countdown"],
    ["eta not a date", "/v1/apply", { task: "demo.add", options: { eta: "not a date" } }, "options.eta"],
    ["args not a list (/v1/tasks)", "/v1/tasks/demo.add", { args: { x: 1 } }, "args"],
    ["args not a list (bare)", "/v1/apply", { task: "demo.add", args: "1,2" }, "args"],
    ["kwargs not an object", "/v1/apply", { task: "demo.add", kwargs: [1, 2] }, "kwargs"],
    ["kwargs not an object (/v1/tasks)", "/v1/tasks/demo.add", { kwargs: "x=1" }, "kwargs"],
    ["options not an object", "/v1/apply", { task: "demo.add", options: [] }, "options"],
    ["a misspelled option (/v1/tasks)", "/v1/tasks/demo.add", { args: [1, 2], options: { countdwn: 5 } }, "options.countdwn"],
    ["an unknown option (bare)", "/v1/apply", { task: "demo.add", args: [1, 2], options: { backend: "d1" } }, "options.backend"],
    ["an unknown option (wrapper)", "/v1/apply", { signature: { task: "demo.add", args: [1, 2], options: { backend: "d1" } } }, "signature.options.backend"],
    ["an unknown call-time option (wrapper)", "/v1/apply", { signature: { task: "demo.add", args: [1, 2] }, options: { countdwn: 5 } }, "options.countdwn"],
    [
      "an unknown option deep in a chain's callback",
      "/v1/apply",
      { task: "celery.chain", kwargs: { tasks: [{ task: "demo.add", args: [1, 2], options: { link: [{ task: "demo.noop", options: { prioirty: 1 } }] } }] } },
      "kwargs.tasks.0.options.link.0.options.prioirty",
    ],
    ["task not a string", "/v1/apply", { task: 42 }, "task"],
    ["task missing", "/v1/apply", { args: [1, 2] }, "task"],
    ["queue not a string", "/v1/apply", { task: "demo.add", options: { queue: 7 } }, "options.queue"],
    ["ignore_result not a bool", "/v1/apply", { task: "demo.add", options: { ignore_result: "yes" } }, "options.ignore_result"],
    ["acks_late not a bool", "/v1/tasks/demo.add", { options: { acks_late: "no" } }, "options.acks_late"],
    ["immutable not a bool", "/v1/apply", { task: "demo.add", immutable: "yes" }, "immutable"],
    ["wrapper signature not an object", "/v1/apply", { signature: 5 }, "signature"],
    ["wrapper signature without task", "/v1/apply", { signature: { args: [1] } }, "signature.task"],
    ["wrapper call-time args not a list", "/v1/apply", { signature: { task: "demo.add" }, args: "x" }, "args"],
    ["wrapper call-time kwargs not an object", "/v1/apply", { signature: { task: "demo.add" }, kwargs: [1] }, "kwargs"],
    [
      "a bad option inside a chain step",
      "/v1/apply",
      chain([sig("demo.add", [1, 1]), sig("demo.add", [1], { priority: 11 })]),
      "kwargs.tasks.1.options.priority",
    ],
  ];

  for (const [name, path, body, errPath] of cases) {
    it(`${name} → path ${errPath}`, async () => {
      expectError(await api("POST", path, body), 422, "invalid_signature", errPath);
    });
  }

  it("the names Celery 5 writes into a signature's options are accepted (and ignored)", async () => {
    const options = { shadow: "add-shadow", headers: { x: 1 }, retry: true, retry_policy: { max_retries: 3 }, reply_to: "r", argsrepr: "(1, 2)", exchange: "", serializer: "json", stamped_headers: ["on_sig"], stamps: { on_sig: "s" }, on_sig: "s" };
    const res = await api("POST", "/v1/apply", { task: "demo.add", args: [1, 2], options });
    expect(res.status, describeRes(res)).toBe(202);
    const r = await api("GET", `/v1/results/${res.json.id}?wait=10`);
    expect(r.json.state, describeRes(r)).toBe("SUCCESS");
    expect(r.json.result).toBe(3);
  });

  it("the options Celery 5's signature_from_request copies from a request (Context.as_execution_options) are accepted", async () => {
    // What Task.retry / Task.replace / Task.subtask_from_request write into a signature's options,
    // `origin` (the sending worker's node name) included.
    const options = {
      root_id: null, parent_id: null, group_id: null, group_index: null, shadow: null, chord: null, chain: null, link: null,
      link_error: null, expires: null, soft_time_limit: null, time_limit: null, headers: {}, retries: 0, reply_to: "r",
      replaced_task_nesting: 0, origin: "gen42@worker-1",
    };
    const res = await api("POST", "/v1/apply", { task: "demo.add", args: [1, 2], options });
    expect(res.status, describeRes(res)).toBe(202);
    const r = await api("GET", `/v1/results/${res.json.id}?wait=10`);
    expect(r.json.state, describeRes(r)).toBe("SUCCESS");
    expect(r.json.result).toBe(3);
  });

  it("both eta and countdown", async () => {
    const eta = new Date(Date.now() + 60_000).toISOString();
    for (const [path, body, prefix] of [
      ["/v1/tasks/demo.add", { args: [1, 2], options: { eta, countdown: 10 } }, "options"],
      ["/v1/apply", { task: "demo.add", args: [1, 2], options: { eta, countdown: 10 } }, "options"],
      ["/v1/apply", { signature: { task: "demo.add", args: [1, 2], options: { eta, countdown: 10 } } }, "signature.options"],
    ] as const) {
      const err = expectError(await api("POST", path, body), 422, "invalid_signature");
      // Two fields are involved; the path, when given, points into the options object.
      if (err.path !== undefined) expect([prefix, `${prefix}.eta`, `${prefix}.countdown`]).toContain(err.path);
    }
  });

  it("a body that is JSON but not an object", async () => {
    for (const raw of ["[1, 2]", '"demo.add"', "42", "null", "true"]) {
      const res = await api("POST", "/v1/apply", undefined, { rawBody: raw });
      expectError(res, 422, "invalid_signature");
    }
  });

  it("a canvas nested deeper than 32", async () => {
    let s: any = sig("demo.noop");
    for (let i = 0; i < 40; i++) s = chain([s]);
    expectError(await api("POST", "/v1/apply", s), 422, "invalid_signature");
  });

  it("nothing is enqueued by a rejected signature", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    const res = await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, task_id: id, priority: 10 } });
    expectError(res, 422, "invalid_signature", "options.priority");
    await expectAllPending([id]);
    await expectQueueEmpty(q);
  });
});

describe("422 unknown_task", () => {
  it("POST /v1/tasks/:name with an unregistered name", async () => {
    expectError(await api("POST", "/v1/tasks/nope.not_registered", { args: [] }), 422, "unknown_task");
  });

  it("POST /v1/apply with an unregistered name (bare and wrapper)", async () => {
    expectError(await api("POST", "/v1/apply", { task: "nope.not_registered" }), 422, "unknown_task");
    expectError(await api("POST", "/v1/apply", { signature: { task: "nope.not_registered" } }), 422, "unknown_task");
  });

  it("an unregistered task inside a chain enqueues nothing", async () => {
    const q = await pausedQueue();
    const first = uniqId();
    const body = chain([sig("demo.add", [1, 1], { queue: q, task_id: first }), sig("nope.not_registered", [], { queue: q })]);
    expectError(await api("POST", "/v1/apply", body), 422, "unknown_task");
    await expectAllPending([first]);
    await expectQueueEmpty(q);
  });
});

describe("422 invalid_request", () => {
  it.each([
    ["concurrency 0", { concurrency: 0 }],
    ["concurrency -3", { concurrency: -3 }],
    ["concurrency 1.5", { concurrency: 1.5 }],
    ["concurrency as a string", { concurrency: "2" }],
    ["paused as a string", { paused: "yes" }],
    ["paused as a number", { paused: 1 }],
  ])("PUT /v1/queues/:name with %s", async (_name, body) => {
    const q = await pausedQueue(5);
    expectError(await api("PUT", `/v1/queues/${q}`, body), 422, "invalid_request");
    // The queue's settings are unchanged.
    const s = await queueStats(q);
    expect(s.paused).toBe(true);
    expect(s.concurrency).toBe(5);
  });

  it("PUT /v1/queues/:name with a body that is not an object", async () => {
    expectError(await api("PUT", "/v1/queues/t-not-object", undefined, { rawBody: "[true]" }), 422, "invalid_request");
  });

  it.each([
    ["0 signatures", { signatures: [] }],
    ["1001 signatures", { signatures: Array.from({ length: 1001 }, () => ({ task: "demo.noop" })) }],
    ["no signatures field", {}],
    ["signatures not a list", { signatures: { task: "demo.noop" } }],
    ["signatures a string", { signatures: "demo.noop" }],
  ])("POST /v1/apply/bulk with %s", async (_name, body) => {
    expectError(await api("POST", "/v1/apply/bulk", body), 422, "invalid_request");
  });

  it("the 1001-signature bulk enqueues none of them", async () => {
    const q = await pausedQueue();
    const ids = Array.from({ length: 1001 }, () => uniqId());
    const signatures = ids.map((task_id) => ({ task: "demo.noop", options: { queue: q, task_id } }));
    expectError(await api("POST", "/v1/apply/bulk", { signatures }), 422, "invalid_request");
    await expectAllPending([ids[0]!, ids[500]!, ids[1000]!]);
    await expectQueueEmpty(q);
  });
});
