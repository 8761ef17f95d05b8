// Unit tests of groupAsResult (src/results/read.ts): a nested group read as one member.
import { describe, expect, it } from "vitest";
import { groupAsResult } from "../../src/results/read.js";
import { pendingResult, type GroupResult, type TaskResult } from "../../src/protocol/index.js";

const res = (id: string, over: Partial<TaskResult>): TaskResult => ({ ...pendingResult(id), ...over });
const group = (results: TaskResult[]): GroupResult => ({
  id: "g",
  results,
  total: results.length,
  completed: results.filter((r) => r.state === "SUCCESS").length,
  ready: results.every((r) => ["SUCCESS", "FAILURE", "REVOKED"].includes(r.state)),
  successful: results.every((r) => r.state === "SUCCESS"),
  failed: results.some((r) => r.state === "FAILURE"),
});

describe("groupAsResult", () => {
  it("not ready: PENDING, listing its members", () => {
    expect(groupAsResult(group([res("a", { state: "SUCCESS", result: 1 }), res("b", { state: "STARTED" })]))).toMatchObject({
      id: "g",
      state: "PENDING",
      result: null,
      children: ["a", "b"],
    });
  });

  it("all succeeded: SUCCESS with the values in member order", () => {
    expect(groupAsResult(group([res("a", { state: "SUCCESS", result: 1 }), res("b", { state: "SUCCESS", result: [2] })]))).toMatchObject({
      state: "SUCCESS",
      result: [1, [2]],
      error: null,
    });
  });

  it("ready with a failure or a revocation: the first one's state and error", () => {
    const error = { type: "TaskRevokedError", message: "the task was revoked" };
    const r = groupAsResult(group([res("a", { state: "SUCCESS", result: 1 }), res("b", { state: "REVOKED", error }), res("c", { state: "FAILURE", error: { type: "X", message: "y" } })]));
    expect(r).toMatchObject({ state: "REVOKED", error, result: null });
  });
});
