// Unit tests of src/protocol/outcome.ts: the one conversion and the builders of the endings
// edgery makes itself, which the queue and the consumers share.
import { describe, expect, it } from "vitest";
import { serializeError, TaskRevokedError, TimeLimitExceeded } from "../../src/protocol/index.js";
import {
  notRegisteredEnding,
  queueEnded,
  REVOKED_MESSAGES,
  revokedEnding,
  stamped,
  timeLimitEnding,
  timeLimitError,
  workerLostEnding,
} from "../../src/protocol/outcome.js";

describe("stamped", () => {
  it("keeps a success's value and adds the stamp", () => {
    expect(stamped({ kind: "success", value: { a: 1 } }, { worker: "w", startedAt: 1, doneAt: 2 })).toStrictEqual({
      kind: "success",
      value: { a: 1 },
      worker: "w",
      startedAt: 1,
      doneAt: 2,
    });
  });

  it("keeps a failure's state and error; extra fields of the stamp's carrier are not copied", () => {
    const item = { lease: "t:1", id: "x", worker: "w", startedAt: null, doneAt: 5, resultExpires: 60 };
    expect(stamped(revokedEnding("revoked"), item)).toStrictEqual({
      kind: "failure",
      state: "REVOKED",
      error: { type: "TaskRevokedError", message: REVOKED_MESSAGES.revoked },
      worker: "w",
      startedAt: null,
      doneAt: 5,
    });
  });

  it("queueEnded has no worker and no start", () => {
    expect(queueEnded(workerLostEnding(), 9)).toMatchObject({ kind: "failure", state: "FAILURE", worker: null, startedAt: null, doneAt: 9, error: { type: "WorkerLostError" } });
  });
});

describe("builders", () => {
  it("a terminate abort in the consumer reads as the queue's terminated ending", () => {
    expect(revokedEnding("terminated")).toStrictEqual({ kind: "failure", state: "REVOKED", error: serializeError(new TaskRevokedError(REVOKED_MESSAGES.terminated)) });
  });

  it("the hard-limit error thrown into a task is the one the queue reports", () => {
    expect(serializeError(new TimeLimitExceeded(timeLimitError(1.5).message))).toStrictEqual(timeLimitError(1.5));
    expect(timeLimitEnding(2)).toStrictEqual({ kind: "failure", state: "FAILURE", error: { type: "TimeLimitExceeded", message: "TimeLimitExceeded(2)" } });
  });

  it("WorkerLostError says how many deliveries were lost when a bound ended it", () => {
    const lost = workerLostEnding(5);
    expect(lost.kind === "failure" && lost.error.message).toContain("5 times");
    expect(notRegisteredEnding("x.y")).toStrictEqual({ kind: "failure", state: "FAILURE", error: { type: "NotRegistered", message: "'x.y'" } });
  });
});
