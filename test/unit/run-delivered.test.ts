// Unit tests of runDelivered (src/worker/run-delivered.ts): what a consumer does with one task of
// a delivery, here the check of `expires` as the task is about to run.
import { describe, expect, it } from "vitest";
import { App } from "../../src/app/app.js";
import { runDelivered } from "../../src/worker/run-delivered.js";
import { TaskAbort } from "../../src/worker/execute.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";
import { message } from "../brokers/conformance.js";

const hooks = { updateState: async () => undefined, acknowledge: async () => undefined };

describe("runDelivered and expires", () => {
  // Celery checks `expires` as the task is about to run. A delivery's tasks were begun together;
  // CPU-bound ones then run one after another, so a later one can reach its turn past its
  // expiry (a probe saw tasks start up to 0.7 s after it, and succeed).
  it("a task whose expiry passed by the time it is run ends REVOKED (TaskRevokedError) without running", async () => {
    let ran = 0;
    const app = new App({ name: "t" });
    app.task("t.count", () => ++ran);
    const past = message("q", "t.count", [], { expires: Date.now() - 1 });
    const out = await runDelivered({} as EdgeryEnv, app, { lease: "l1", deadline: Date.now() + 60_000, redelivered: false, message: past }, new TaskAbort(), hooks);
    expect(out.result).toEqual({ kind: "failure", state: "REVOKED", error: { type: "TaskRevokedError", message: "the task expired before it started" } });
    expect(ran).toBe(0);
    const future = message("q", "t.count", [], { expires: Date.now() + 60_000 });
    expect((await runDelivered({} as EdgeryEnv, app, { lease: "l2", deadline: Date.now() + 60_000, redelivered: false, message: future }, new TaskAbort(), hooks)).result).toEqual({ kind: "success", value: 1 });
    expect(ran).toBe(1);
  });
});
