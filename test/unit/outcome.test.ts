// Unit tests of src/protocol/outcome.ts: the one conversion and the builders of the endings
// edgery makes itself, which the queue and the consumers share.
import { describe, expect, it } from "vitest";
import { MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_TYPE_CHARS, serializeError, TaskRevokedError, TimeLimitExceeded } from "../../src/protocol/index.js";
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

describe("serializeError limits", () => {
  it("a message past MAX_ERROR_MESSAGE_CHARS is cut, saying how long it was (a 2.5 MB one failed its task's settle: WorkerLostError)", () => {
    const e = serializeError(new Error("x".repeat(2_500_000)));
    expect(e.message.startsWith("x".repeat(MAX_ERROR_MESSAGE_CHARS))).toBe(true);
    expect(e.message.endsWith("… (cut: 2500000 characters)")).toBe(true);
    expect(e.message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 40);
    expect(serializeError({ type: "T".repeat(1000), message: "m" }).type.length).toBeLessThan(MAX_ERROR_TYPE_CHARS + 40);
  });

  it("a cut never splits a surrogate pair, and a message at the limit is kept whole", () => {
    const text = "a".repeat(MAX_ERROR_MESSAGE_CHARS - 1) + "😀" + "b".repeat(10);
    const cut = serializeError(new Error(text)).message;
    expect(cut.startsWith("a".repeat(MAX_ERROR_MESSAGE_CHARS - 1) + "…")).toBe(true);
    const exact = "c".repeat(MAX_ERROR_MESSAGE_CHARS);
    expect(serializeError(new Error(exact)).message).toBe(exact);
  });
});
