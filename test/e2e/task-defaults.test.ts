// Contract additions: demo.add_late (a task whose own default is acks_late) and result expiry.
import { describe, expect, it } from "vitest";
import { getResult, send, sleep, waitResult } from "./helpers";

describe("demo.add_late", () => {
  it("returns x + y, with no option given by the caller", async () => {
    const h = await send("demo.add_late", { args: [20, 22] });
    const r = await waitResult(h.id);
    expect(r).toMatchObject({ id: h.id, state: "SUCCESS", result: 42, task: "demo.add_late", error: null });
  });

  it("adds numbers given as kwargs-free positional args of any sign", async () => {
    const h = await send("demo.add_late", { args: [-5, 2.5] });
    expect(await waitResult(h.id)).toMatchObject({ state: "SUCCESS", result: -2.5 });
  });
});

describe("result expiry", () => {
  it("after result_expires a result reads PENDING, though a plain read came before", async () => {
    const h = await send("demo.add", { args: [1, 1], options: { result_expires: 1 } });
    expect(await waitResult(h.id)).toMatchObject({ state: "SUCCESS", result: 2 });
    expect((await getResult(h.id)).state).toBe("SUCCESS");
    await sleep(1500);
    expect((await getResult(h.id)).state).toBe("PENDING");
    expect((await getResult(h.id)).state).toBe("PENDING");
  });
});
