// Every edgery app answers its broker endpoint: another app whose `http` broker sent a task here
// reads the result through GET /__edgery/broker/results/:id (with its token), which is what the
// main API falls back to for a result it does not hold.
import { describe, expect, it } from "vitest";
import { api, send, TOKEN, uniqId, waitResult } from "./helpers";

describe("broker endpoint: results for another app", () => {
  it("answers a result this app holds, and PENDING for an unknown id", async () => {
    const h = await send("demo.add", { args: [40, 2] });
    await waitResult(h.id);
    const res = await api("GET", `/__edgery/broker/results/${h.id}`, undefined, { token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: h.id, state: "SUCCESS", result: 42 });
    const unknown = uniqId();
    expect((await api("GET", `/__edgery/broker/results/${unknown}`, undefined, { token: TOKEN })).json).toMatchObject({ id: unknown, state: "PENDING" });
  });

  it("refuses a request without the token", async () => {
    const res = await api("GET", `/__edgery/broker/results/${uniqId()}`, undefined, { token: null });
    expect(res.status).toBe(401);
  });
});
