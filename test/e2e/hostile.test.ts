// Hostile inputs over HTTP: forged R2 pointers stay plain data, deep JSON and ill-typed ids are
// 422 (never a 503), a small request cannot plan thousands of runs, odd names are refused or
// kept exactly, a forged task message or queue setting at the broker endpoint is 422 and never
// stored. After every test the server must still answer health.
import { afterEach, describe, expect, it } from "vitest";
import { api, baseUrl, expectError, expectHealthy, getResult, group, pausedQueue, putQueue, queueStats, send, sig, TOKEN, uniq, uniqQueue, waitResult } from "./helpers";
import { message as taskMessage } from "../brokers/conformance";

afterEach(async () => {
  await expectHealthy();
});

describe("forged storage pointers", () => {
  it("a pointer-shaped value in args, kwargs and stamps reaches the task and its result as sent", async () => {
    // A victim's large value, offloaded to R2 by edgery.
    const victim = await send("demo.blob", { args: [1_200_000] });
    expect((await waitResult(victim.id)).state).toBe("SUCCESS");
    for (const key of [`value/${victim.id}`, `value/${victim.id}/x`, `result/${victim.id}`]) {
      const forged = { $edgery_r2: key, bytes: 10 };
      const signed = { ...forged, sig: "A".repeat(43) };
      const h = await send("demo.identity", { args: [[forged, signed]], kwargs: {}, options: { stamps: { s: forged } } });
      const r = await waitResult(h.id);
      expect(r.state).toBe("SUCCESS");
      expect(r.result).toEqual([forged, signed]);
    }
    // The victim's value is untouched.
    const again = await waitResult(victim.id);
    expect((again.result as string).length).toBe(1_200_000);
  });
});

describe("deep or ill-typed input", () => {
  const deep = (n: number): any => {
    let v: any = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };

  it("args nested 4,000 deep: 422, not a retryable 503", async () => {
    const res = await api("POST", "/v1/tasks/demo.add", { args: [deep(4000)] });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("invalid_signature");
    const wrapped = await api("POST", "/v1/apply", { signature: sig("demo.add"), args: [deep(4000)] });
    expect(wrapped.status).toBe(422);
  });

  it("a number too large for a double (1e400 parses to Infinity, which JSON writes as null) is 422 at its path, nothing enqueued", async () => {
    const queue = await pausedQueue();
    const bodies = [
      [`/v1/tasks/demo.add`, `{"args": [1, 1e400], "options": {"queue": "${queue}"}}`, "args.1"],
      [`/v1/apply`, `{"task": "demo.add", "args": [1], "kwargs": {"x": {"y": -1e999}}, "options": {"queue": "${queue}"}}`, "kwargs.x.y"],
      [`/v1/apply/bulk`, `{"signatures": [{"task": "demo.add", "args": [2e308, 1], "options": {"queue": "${queue}"}}]}`, "signatures.0.args.0"],
    ] as const;
    for (const [path, rawBody, at] of bodies) expectError(await api("POST", path, undefined, { rawBody }), 422, "invalid_signature", at);
    expect((await queueStats(queue)).waiting).toBe(0);
    const ok = await api("POST", "/v1/tasks/demo.add?wait=20", undefined, { rawBody: `{"args": [1.7976931348623157e308, 0]}` });
    expect(ok.json.result).toMatchObject({ state: "SUCCESS", result: 1.7976931348623157e308 });
  });

  it("a misspelled field of a revoke or a bulk body is 422 at it, not ignored (a 'terminat' revoke did not terminate)", async () => {
    const queue = await pausedQueue();
    const h = await send("demo.add", { args: [1, 1], options: { queue } });
    expectError(await api("POST", `/v1/results/${h.id}/revoke`, { terminat: true }), 422, "invalid_request", "terminat");
    expect((await getResult(h.id)).state).toBe("PENDING");
    expect((await queueStats(queue)).waiting).toBe(1);
    expectError(await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1], { queue })], options: { priority: 9 } }), 422, "invalid_request", "options");
    expect((await queueStats(queue)).waiting).toBe(1);
    expect((await api("POST", `/v1/results/${h.id}/revoke`, { terminate: false })).status).toBe(202);
  });

  it("a task name over 256 characters is 422 saying so (it read 'is required')", async () => {
    const res = await api("POST", "/v1/apply", { task: "x".repeat(257) });
    expectError(res, 422, "invalid_signature", "task");
    expect(res.json.error.message).toContain("at most 256");
  });

  it("options.chord_id {} is 422 at its path", async () => {
    expectError(await api("POST", "/v1/apply", { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1])], body: sig("demo.xsum") }, options: { chord_id: {} } }), 422, "invalid_signature", "options.chord_id");
  });

  it("a rate limit slower than one task a day is 422 (it held its bucket's tasks for centuries), and the queue keeps running rate-limited tasks", async () => {
    const queue = uniqQueue();
    for (const rate of [1e-300, "0.0000000001/h"]) {
      expectError(await api("POST", "/v1/tasks/demo.add", { args: [1, 1], options: { rate_limit: rate, queue } }), 422, "invalid_signature", "options.rate_limit");
    }
    const ok = await api("POST", "/v1/tasks/demo.add?wait=20", { args: [1, 1], options: { rate_limit: "1000/s", queue } });
    expect(ok.status).toBe(200);
    expect(ok.json.result).toMatchObject({ state: "SUCCESS", result: 2 });
  });

  it("a body that is not UTF-8 is 400 invalid_json (its bytes reached the task as U+FFFD)", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"args":["'), 0xff, 0xfe, ...new TextEncoder().encode('"]}')]);
    const res = await fetch(`${baseUrl()}/v1/tasks/demo.identity`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: bytes });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_json" } });
    // UTF-8 that is not ASCII is text like any other.
    const ok = await api("POST", "/v1/tasks/demo.identity?wait=20", { args: ["héllo ✓ 😀"] });
    expect(ok.json.result).toMatchObject({ state: "SUCCESS", result: "héllo ✓ 😀" });
  });

  it("POST /v1/tasks/:name with a JSON null body is 422 as on /v1/apply (it was taken as {}); an empty body still means {}", async () => {
    expectError(await api("POST", "/v1/tasks/demo.add", undefined, { rawBody: "null" }), 422, "invalid_signature");
    expectError(await api("POST", "/v1/apply", undefined, { rawBody: "null" }), 422, "invalid_signature");
    const empty = await api("POST", "/v1/tasks/demo.noop?wait=20", undefined, { rawBody: "" });
    expect(empty.status).toBe(200);
    expect(empty.json.result).toMatchObject({ state: "SUCCESS" });
  });

  it("an empty group reads as a ready, empty GroupResult (its record expired at once: 404)", async () => {
    const h = await api("POST", "/v1/apply", { task: "celery.group", subtask_type: "group", kwargs: { tasks: [] } });
    expect(h.status).toBe(202);
    const g = await api("GET", `/v1/groups/${h.json.id}`);
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({ id: h.json.id, results: [], total: 0, ready: true, successful: true });
  });

  it("a countdown of 1e300 seconds is 422", async () => {
    expectError(await api("POST", "/v1/tasks/demo.add", { args: [1, 1], options: { countdown: 1e300 } }), 422, "invalid_signature", "options.countdown");
  });

  it("an eta or expires that is not ISO-8601 is 422 at its path, nothing enqueued ('2' was the year 2001: the task ended REVOKED at once); Python's str(datetime) form runs", async () => {
    const q = uniqQueue();
    for (const [option, value] of [["expires", "2"], ["eta", "1"], ["eta", "Tue, 01 Dec 2026 12:00:00 GMT"], ["expires", "2030-02-30T00:00:00Z"]] as const) {
      expectError(await api("POST", "/v1/tasks/demo.add", { args: [1, 1], options: { queue: q, [option]: value } }), 422, "invalid_signature", `options.${option}`);
    }
    expect(await queueStats(q)).toMatchObject({ waiting: 0, delayed: 0, leased: 0 });
    const past = new Date(Date.now() - 1000).toISOString().replace("T", " ").replace("Z", "+00:00");
    const h = await send("demo.add", { args: [1, 2], options: { queue: q, eta: past } });
    expect(await waitResult(h.id)).toMatchObject({ state: "SUCCESS", result: 3 });
  });
});

describe("amplification", () => {
  it("a group of 150 linked to a group of 150 (22,650 runs from a few KB) is 422", async () => {
    const g = (n: number) => group(Array.from({ length: n }, (_, i) => sig("demo.add", [i, i])));
    const body = { ...g(150), options: { link: g(150) } };
    expect(JSON.stringify(body).length).toBeLessThan(30_000);
    expectError(await api("POST", "/v1/apply", body), 422, "invalid_signature");
  });
});

describe("names", () => {
  it("a non-ASCII queue name is refused with 422 at options.queue; a non-ASCII task name is unknown_task", async () => {
    expectError(await api("POST", "/v1/tasks/demo.add", { options: { queue: "qué" } }), 422, "invalid_signature", "options.queue");
    expectError(await api("POST", `/v1/tasks/${encodeURIComponent("démo.add")}`, {}), 422, "unknown_task");
  });

  it("an id whose percent-encoding does not decode is 422 invalid_request at id: never a 5xx, never looked up as the literal", async () => {
    for (const [method, path] of [
      ["GET", "/v1/results/%E0%A4%A"],
      ["GET", "/v1/results/%ZZ?wait=1"],
      ["DELETE", "/v1/results/%ZZ"],
      ["GET", "/v1/groups/%C3%28"],
      ["POST", "/v1/results/%ZZ/revoke"],
      ["POST", "/v1/dead-letters/%E0%A4%A/replay"],
    ] as const) {
      expectError(await api(method, path, method === "POST" ? {} : undefined), 422, "invalid_request", "id");
    }
  });

  it("a task_id of 255 non-ASCII characters (765 bytes, past KV's 512-byte keys) runs, reads back and is forgotten (204, not a 500)", async () => {
    const id = `${"✓".repeat(250)}${uniq("k").slice(-5)}`;
    expect(id.length).toBe(255);
    const h = await send("demo.add", { args: [2, 2], options: { task_id: id } });
    expect(h.id).toBe(id);
    expect(await waitResult(id)).toMatchObject({ state: "SUCCESS", result: 4 });
    // A second read is served from the KV copy the first one made.
    expect((await api("GET", `/v1/results/${encodeURIComponent(id)}`)).json).toMatchObject({ state: "SUCCESS", result: 4 });
    const gone = await api("DELETE", `/v1/results/${encodeURIComponent(id)}`);
    expect(gone.status).toBe(204);
    expect((await api("GET", `/v1/results/${encodeURIComponent(id)}`)).json).toMatchObject({ state: "PENDING" });
    expect((await api("DELETE", `/v1/results/${encodeURIComponent("x".repeat(10_000))}`)).status).toBe(204);
  });

  it("the same task id twice in one request is 422 at the second (a queue holds one task per id: the second was dropped, a chord over them never fired); nothing is enqueued", async () => {
    const id = uniq("dup");
    const queue = uniqQueue();
    expectError(await api("POST", "/v1/apply", group([sig("demo.add", [1, 1], { task_id: id }), sig("demo.add", [2, 2], { task_id: id })], { queue })), 422, "invalid_signature", "kwargs.tasks.1.options.task_id");
    expectError(
      await api("POST", "/v1/apply", { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1], { task_id: id }), sig("demo.add", [2, 2], { task_id: id })], body: sig("demo.xsum") } }),
      422,
      "invalid_signature",
      "kwargs.header.1.options.task_id",
    );
    expectError(await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1], { task_id: id }), sig("demo.add", [2, 2], { task_id: id })] }), 422, "invalid_signature", "signatures.1.options.task_id");
    // Tasks enqueued later too: a chord body (it was taken as its header member, and the chord's
    // result read the member's), a later chain step, a link (each was 202).
    expectError(
      await api("POST", "/v1/apply", { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1], { task_id: id }), sig("demo.add", [2, 2])], body: sig("demo.xsum", [], { task_id: id }) } }),
      422,
      "invalid_signature",
      "kwargs.body.options.task_id",
    );
    expectError(await api("POST", "/v1/apply", { task: "celery.chain", kwargs: { tasks: [sig("demo.add", [1, 1], { task_id: id }), sig("demo.add", [5], { task_id: id })] } }), 422, "invalid_signature", "kwargs.tasks.1.options.task_id");
    expectError(await api("POST", "/v1/apply", sig("demo.add", [1, 1], { task_id: id, link: [sig("demo.add", [2], { task_id: id })] })), 422, "invalid_signature", "options.link.0.options.task_id");
    expect((await api("GET", `/v1/results/${id}`)).json.state).toBe("PENDING");
    // Nothing of the refused requests was enqueued: the id is free, and a send of it runs.
    const first = await api("POST", `/v1/tasks/demo.add?wait=20`, { args: [3, 3], options: { task_id: id } });
    expect(first.json.result).toMatchObject({ state: "SUCCESS", result: 6 });
  });

  it("a canvas member reusing the task_id of a task its queue still holds is 409 task_id_in_use (the chord was accepted and never fired); nothing is enqueued; once that task ended the chord runs", async () => {
    const held = uniq("held");
    const other = uniq("other");
    const queue = uniqQueue();
    // Held for 3 s: a countdown keeps it in its queue, delayed.
    await send("demo.add", { args: [20, 22], options: { task_id: held, countdown: 3, queue } });
    const chord = { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1], { task_id: other, queue }), sig("demo.add", [2, 2], { task_id: held, queue })], body: sig("demo.xsum", [], { queue }) } };
    const refused = await api("POST", "/v1/apply", chord);
    expectError(refused, 409, "task_id_in_use", "kwargs.header.1.options.task_id");
    expect(refused.json.error.message).toContain(held);
    // In a group, a chain with later steps, as a task with a link, in a bulk: refused the same way.
    expectError(await api("POST", "/v1/apply", group([sig("demo.add", [1, 1]), sig("demo.add", [2, 2], { task_id: held, queue })])), 409, "task_id_in_use", "kwargs.tasks.1.options.task_id");
    expectError(await api("POST", "/v1/apply", { task: "celery.chain", subtask_type: "chain", kwargs: { tasks: [sig("demo.add", [1, 1], { task_id: held, queue }), sig("demo.add", [5])] } }), 409, "task_id_in_use", "kwargs.tasks.0.options.task_id");
    expectError(await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1]), sig("demo.add", [3, 3], { task_id: held, queue, link: [sig("demo.add", [1])] })] }), 409, "task_id_in_use", "signatures.1.options.task_id");
    // A plain task with the held id is still the same task sent again (not enqueued twice).
    expect((await api("POST", "/v1/tasks/demo.add", { args: [0, 0], options: { task_id: held, queue } })).status).toBe(202);
    expect((await waitResult(held)).result).toBe(42);
    // The refused chord took nothing: its other member never ran, and now the whole chord runs.
    expect((await api("GET", `/v1/results/${other}`)).json.state).toBe("PENDING");
    const ran = await api("POST", "/v1/apply?wait=20", chord);
    expect(ran.status).toBe(200);
    expect(ran.json.result).toMatchObject({ state: "SUCCESS", result: 6 });
  });

  it("a task enqueued later (a chain's later step, a chord's body, a link) with the task_id of a task its queue still holds is 409 too (it was 202, taken as the held task, and the canvas waited for good); nothing is enqueued", async () => {
    const held = uniq("held");
    const first = uniq("first");
    const queue = uniqQueue();
    await send("demo.add", { args: [20, 22], options: { task_id: held, countdown: 3, queue } });
    const chain = { task: "celery.chain", kwargs: { tasks: [sig("demo.add", [1, 1], { task_id: first, queue }), sig("demo.add", [10], { task_id: held, queue }), sig("demo.add", [100], { queue })] } };
    const refused = await api("POST", "/v1/apply", chain);
    expectError(refused, 409, "task_id_in_use", "kwargs.tasks.1.options.task_id");
    expect(refused.json.error.message).toContain(held);
    const chord = { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1], { queue }), sig("demo.add", [2, 2], { queue })], body: sig("demo.xsum", [], { task_id: held, queue }) } };
    expectError(await api("POST", "/v1/apply", chord), 409, "task_id_in_use", "kwargs.body.options.task_id");
    expectError(await api("POST", "/v1/apply", sig("demo.add", [1, 1], { queue, link: [sig("demo.add", [2], { task_id: held, queue })] })), 409, "task_id_in_use", "options.link.0.options.task_id");
    // Nothing was enqueued: the queue holds the one task, and the chain's first step never ran.
    expect(await queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1, leased: 0 });
    expect((await api("GET", `/v1/results/${first}`)).json.state).toBe("PENDING");
    // Once the held task ended, the chain runs whole: its step with that id runs again under it
    // (its result stays the first final one, 42), and the chain goes on from that step's run.
    expect((await waitResult(held)).result).toBe(42);
    const ran = await api("POST", "/v1/apply?wait=20", chain);
    expect(ran.status).toBe(200);
    expect(ran.json.result).toMatchObject({ state: "SUCCESS", result: 112 });
  });

  it("a refused apply leaves an earlier task whose id it repeated: its undo takes back only what it added (it deleted the earlier task)", async () => {
    const full = uniqQueue();
    const queue = uniqQueue();
    const held = uniq("held");
    await api("PUT", `/v1/queues/${full}`, { paused: true, max_waiting: 1 });
    await send("demo.add", { options: { queue: full } });
    await send("demo.add", { args: [20, 22], options: { task_id: held, countdown: 2, queue } });
    // The same task sent again beside one that a full queue refuses: the whole bulk is undone.
    expectError(await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1], { task_id: held, queue }), sig("demo.add", [0, 0], { queue: full })] }), 503, "overloaded");
    expect((await waitResult(held, 20_000)).result).toBe(42);
    await api("DELETE", `/v1/queues/${full}/messages`);
  });

  it("a plain task sent again into its full queue is 503 and the first send stays (the undo deleted it, and the task never ran)", async () => {
    const queue = uniqQueue();
    const id = uniq("full");
    await api("PUT", `/v1/queues/${queue}`, { paused: true, max_waiting: 1 });
    await send("demo.add", { args: [1, 1], options: { task_id: id, queue } });
    expectError(await api("POST", "/v1/tasks/demo.add", { args: [1, 1], options: { task_id: id, queue } }), 503, "overloaded");
    expect((await queueStats(queue)).waiting).toBe(1);
    await putQueue(queue, { paused: false });
    expect((await waitResult(id, 20_000)).result).toBe(2);
  });

  it("a bulk refused 409 leaves the earlier task it repeated as a plain task in the same queue (the undo deleted it)", async () => {
    const queue = uniqQueue();
    const [x, y] = [uniq("x"), uniq("y")];
    await api("PUT", `/v1/queues/${queue}`, { paused: true });
    await send("demo.add", { args: [1, 1], options: { task_id: x, queue } });
    await send("demo.add", { args: [2, 2], options: { task_id: y, queue } });
    const bulk = { signatures: [sig("demo.add", [1, 1], { task_id: x, queue }), group([sig("demo.add", [2, 2], { task_id: y, queue }), sig("demo.add", [3, 3], { queue })])] };
    expectError(await api("POST", "/v1/apply/bulk", bulk), 409, "task_id_in_use", "signatures.1.kwargs.tasks.0.options.task_id");
    expect((await queueStats(queue)).waiting).toBe(2);
    await putQueue(queue, { paused: false });
    expect((await waitResult(x, 20_000)).result).toBe(2);
    expect((await waitResult(y, 20_000)).result).toBe(4);
  });

  it("a task_id with a lone surrogate is 422 at options.task_id (it was stored as U+FFFD, held its lease for good and stalled a queue of concurrency 1)", async () => {
    const queue = uniqQueue();
    await putQueue(queue, { concurrency: 1 });
    expectError(await api("POST", "/v1/tasks/demo.add?wait=2", { args: [1, 2], options: { queue, task_id: "LS\ud800" } }), 422, "invalid_signature", "options.task_id");
    expectError(await api("POST", "/v1/apply", group([sig("demo.add", [1, 2], { queue }), sig("demo.add", [1, 2], { queue, task_id: "\udc00x" })])), 422, "invalid_signature", "kwargs.tasks.1.options.task_id");
    const ok = await api("POST", "/v1/tasks/demo.add?wait=20", { args: [2, 3], options: { queue, task_id: `ok-😀-${uniq("s")}` } });
    expect(ok.json.result).toMatchObject({ state: "SUCCESS", result: 5 });
    expect(await queueStats(queue)).toMatchObject({ waiting: 0, leased: 0 });
  });

  it("the same task id twice in a bulk is 422 also when an item has an idempotency_key (it was 202 and the second task was dropped)", async () => {
    const id = uniq("dupkey");
    const key = uniq("k");
    const bulk = { signatures: [sig("demo.add", [1, 1], { task_id: id, idempotency_key: key }), sig("demo.add", [2, 2], { task_id: id })] };
    expectError(await api("POST", "/v1/apply/bulk", bulk), 422, "invalid_signature", "signatures.1.options.task_id");
    // Items that share a key are one apply: the repeat is that apply's handle, not a second task.
    const same = await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1], { task_id: id, idempotency_key: key }), sig("demo.add", [1, 1], { task_id: id, idempotency_key: key })] });
    expect(same.status).toBe(202);
    expect(same.json.handles.map((h: { id: string }) => h.id)).toEqual([id, id]);
    expect((await waitResult(id, 20_000)).result).toBe(2);
  });

  it("a held call-time task_id is 409 at the body's options.task_id, where a bad call-time option is 422", async () => {
    const queue = uniqQueue();
    const held = uniq("held");
    await send("demo.add", { args: [1, 1], options: { task_id: held, queue, countdown: 30 } });
    const body = { signature: { task: "demo.add", args: [1], options: { queue, link: [sig("demo.identity")] } }, args: [2], options: { task_id: held } };
    expectError(await api("POST", "/v1/apply", body), 409, "task_id_in_use", "options.task_id");
    await api("POST", `/v1/results/${held}/revoke`, {});
  });

  it("a refused apply over a sharded queue or several queues runs none of its tasks (shards that took their part ran it at once)", async () => {
    const held = uniq("held");
    await send("demo.add", { args: [0, 0], options: { task_id: held, queue: "sharded", countdown: 600 } });
    const members: string[] = [];
    for (let round = 0; round < 10; round++) {
      const ids = Array.from({ length: 20 }, () => uniq("m"));
      members.push(...ids);
      const refused = group([...ids.map((id) => sig("demo.add", [1, 1], { task_id: id, queue: "sharded" })), sig("demo.add", [2, 2], { task_id: held, queue: "sharded" })]);
      expectError(await api("POST", "/v1/apply", refused), 409, "task_id_in_use", "kwargs.tasks.20.options.task_id");
    }
    // A second queue that is full refuses its part (503) after the first took its own.
    const full = uniqQueue();
    await api("PUT", `/v1/queues/${full}`, { paused: true, max_waiting: 1 });
    await send("demo.add", { options: { queue: full } });
    const other = uniq("other");
    expectError(await api("POST", "/v1/apply", group([sig("demo.add", [3, 3], { task_id: other }), sig("demo.add", [4, 4], { queue: full })])), 503, "overloaded");
    // A task sent after them, to the same queues, runs; the refused ones never did.
    const after = await api("POST", "/v1/apply", group([sig("demo.add", [5, 5], { queue: "sharded" }), sig("demo.add", [6, 6])]));
    expect(after.status).toBe(202);
    // An accepted apply over two queues is released at once: both run (not after the hold).
    const done = await Promise.all(after.json.results.map((h: { id: string }) => api("GET", `/v1/results/${h.id}?wait=5`)));
    expect(done.map((d) => d.json.result)).toEqual([10, 12]);
    const states = await Promise.all([...members, other].map(async (id) => (await api("GET", `/v1/results/${id}`)).json.state));
    expect(states.filter((st) => st !== "PENDING")).toEqual([]);
    await api("POST", `/v1/results/${held}/revoke`, {});
    await api("DELETE", `/v1/queues/${full}/messages`);
  });

  it("an empty chain where its result is needed is 422 at its kwargs.tasks (was a 500), alone, in a group, a chord or a bulk", async () => {
    const empty = { task: "celery.chain", kwargs: { tasks: [] }, subtask_type: "chain" };
    expectError(await api("POST", "/v1/apply", empty), 422, "invalid_signature", "kwargs.tasks");
    expectError(await api("POST", "/v1/apply", group([sig("demo.add", [1, 1]), empty])), 422, "invalid_signature", "kwargs.tasks.1.kwargs.tasks");
    expectError(await api("POST", "/v1/apply", { task: "celery.chord", kwargs: { header: [sig("demo.add", [1, 1])], body: empty } }), 422, "invalid_signature", "kwargs.body.kwargs.tasks");
    expectError(await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.add", [1, 1]), empty] }), 422, "invalid_signature", "signatures.1.kwargs.tasks");
  });
});

describe("forged internal shapes at the broker endpoint", () => {
  // A message as another app's broker sends it (the planner's shape), with fields replaced.
  const message = (id: string, over: Record<string, unknown> = {}) => ({ ...taskMessage("default", "demo.add", [1, 2], { id }), ...over });

  it("a message of another shape is 422 at its path and never held by a queue; a whole one runs", async () => {
    const forged: Array<[Record<string, unknown>, string]> = [
      [{ id: uniq("forged"), task: "demo.add" }, "messages.0.args"],
      [message(uniq("forged"), { link: 5, options: "y" }), "messages.0.options"],
      [message(uniq("forged"), { chain: [{}] }), "messages.0.chain.0"],
      [message(uniq("forged"), { priority: "high" }), "messages.0.priority"],
    ];
    for (const [m, path] of forged) {
      expectError(await api("POST", "/__edgery/broker/enqueue", { messages: [m] }), 422, "invalid_request", path);
      // A valid message beside a forged one: nothing of the request is enqueued.
      expectError(await api("POST", "/__edgery/broker/enqueue", { messages: [message(uniq("beside")), m] }), 422, "invalid_request", path.replace("messages.0", "messages.1"));
    }
    const active = await api("GET", "/v1/inspect/active");
    expect(active.status).toBe(200);
    const ids = new Set((active.json.tasks as Array<{ id: string }>).map((t) => t.id));
    for (const [m] of forged) expect(ids.has(m.id as string)).toBe(false);
    // The same endpoint takes a whole message, and it runs.
    const id = uniq("peer");
    const ok = await api("POST", "/__edgery/broker/enqueue", { messages: [message(id)] });
    expect(ok.status).toBe(202);
    const r = await waitResult(id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(3);
  });

  it("a peer's message past 128,000 bytes is 413 at its path and never stored (3 MB was a 500 SQLITE_TOOBIG, 200 KB was taken and failed once leased); a body past 1 MiB is 413; a body that is not JSON is 400", async () => {
    const id = uniq("big-peer");
    const over = message(id, { args: ["é".repeat(64_000)] });
    expectError(await api("POST", "/__edgery/broker/enqueue", { messages: [message(uniq("beside")), over] }), 413, "payload_too_large", "messages.1");
    expectError(await api("POST", "/__edgery/broker/enqueue", { messages: [message(uniq("huge"), { args: ["x".repeat(3_000_000)] })] }), 413, "payload_too_large");
    const active = await api("GET", "/v1/inspect/active");
    expect((active.json.tasks as Array<{ id: string }>).some((t) => t.id === id)).toBe(false);
    expect((await api("GET", `/v1/results/${id}`)).json.state).toBe("PENDING");
    // Just under the limit: taken, and it runs.
    const fits = uniq("fits-peer");
    const ok = await api("POST", "/__edgery/broker/enqueue", { messages: [message(fits, { task: "demo.identity", args: ["x".repeat(120_000)] })] });
    expect(ok.status).toBe(202);
    expect((await waitResult(fits)).state).toBe("SUCCESS");
    for (const [method, path] of [["POST", "/__edgery/broker/enqueue"], ["POST", "/__edgery/broker/cancel"], ["POST", "/__edgery/broker/revoke"], ["PUT", `/__edgery/broker/queues/${uniqQueue()}`]] as const) {
      expectError(await api(method, path, undefined, { rawBody: "{not json" }), 400, "invalid_json");
      expectError(await api(method, path, undefined, { rawBody: "" }), 400, "invalid_json");
    }
  });

  it("queue settings from a peer are checked as on /v1: 422, and the queue keeps its settings", async () => {
    const q = uniqQueue();
    for (const [body, path] of [
      [{ prefetch: -3 }, "prefetch"],
      [{ concurrency: "lots" }, "concurrency"],
    ] as const) {
      expectError(await api("PUT", `/__edgery/broker/queues/${q}`, body), 422, "invalid_request", path);
    }
    expectError(await api("PUT", `/__edgery/broker/queues/${q}`, [1, 2]), 422, "invalid_request");
    const stats = await api("GET", `/v1/queues/${q}`);
    expect(stats.json.prefetch).toBe(100);
    expect(stats.json.concurrency).toBe(1000);
  });
});
