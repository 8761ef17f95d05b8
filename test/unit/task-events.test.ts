import { describe, expect, it } from "vitest";
import { eventOfState, sseComment, sseFrame } from "../../src/events/task-events";
import { pendingResult } from "../../src/protocol";

describe("task events", () => {
  it("names the built-in transitions as Celery does, and nothing else", () => {
    expect(["RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"].map(eventOfState)).toEqual([
      "task-received", "task-started", "task-succeeded", "task-failed", "task-retried", "task-revoked",
    ]);
    expect(eventOfState("PENDING")).toBeNull();
    expect(eventOfState("PROGRESS")).toBeNull();
  });

  it("frames an event as one event line and one data line of JSON", () => {
    const data = { ...pendingResult("a"), state: "SUCCESS", result: "two\nlines" };
    const frame = sseFrame({ event: "task-succeeded", data });
    expect(frame.endsWith("\n\n")).toBe(true);
    const lines = frame.slice(0, -2).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("event: task-succeeded");
    expect(JSON.parse(lines[1]!.slice("data: ".length))).toEqual(data);
    expect(sseComment("keep\nalive")).toBe(": keep alive\n\n");
  });
});
