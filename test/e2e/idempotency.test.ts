// Contract (flow control): `idempotency_key` — a second apply with the same key within
// result_expires returns the first handle and enqueues nothing.
import { describe, expect, it } from "vitest";
import { api, apply, chain, expectError, send, sig, uniq, uniqQueue, waitQueue, waitResult } from "./helpers";

describe("idempotency_key", () => {
  it("a second send with the same key answers the first handle; the task runs once", async () => {
    const q = uniqQueue();
    const key = uniq("idem");
    const first = await send("demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    const second = await send("demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    expect(second).toStrictEqual(first);
    expect((await waitResult(first.id)).result).toBe(3);
    const third = await send("demo.add", { args: [5, 5], options: { queue: q } });
    await waitResult(third.id);
    expect((await waitQueue(q, (s) => s.completed >= 2)).completed).toBe(2);
  });

  it("works for a canvas in the wrapper form (the whole chain is applied once)", async () => {
    const key = uniq("idem");
    const body = { signature: chain([sig("demo.add", [1, 1]), sig("demo.mul", [10])]), options: { idempotency_key: key } };
    const a = await apply(body);
    const b = await apply(body);
    expect(b).toStrictEqual(a);
    expect((await waitResult(a.id)).result).toBe(20);
  });

  it("in a bulk, two signatures with one key give one handle twice", async () => {
    const key = uniq("idem");
    const res = await api("POST", "/v1/apply/bulk", { signatures: [sig("demo.identity", ["x"], { idempotency_key: key }), sig("demo.identity", ["y"], { idempotency_key: key })] });
    expect(res.status).toBe(202);
    expect(res.json.handles[1]).toStrictEqual(res.json.handles[0]);
    expect((await waitResult(res.json.handles[0].id)).result).toBe("x");
  });

  it("a key that is not a string is refused with its path", async () => {
    expectError(await api("POST", "/v1/tasks/demo.noop", { options: { idempotency_key: 42 } }), 422, "invalid_signature", "options.idempotency_key");
  });
});
