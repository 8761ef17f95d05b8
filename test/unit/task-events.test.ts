import { describe, expect, it } from "vitest";
import { eventOfState, eventOfWrite, sseComment, sseFrame } from "../../src/events/task-events";
import { pendingResult } from "../../src/protocol";

describe("task events", () => {
  it("names the built-in transitions as Celery does, and nothing else", () => {
    expect(["RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"].map(eventOfState)).toEqual([
      "task-received", "task-started", "task-succeeded", "task-failed", "task-retried", "task-revoked",
    ]);
    expect(eventOfState("PENDING")).toBeNull();
    expect(eventOfState("PROGRESS")).toBeNull();
  });

  it("a stored write: update_state is task-progress unless ready; RECEIVED/STARTED are announced by the queue instead", () => {
    expect(eventOfWrite("PROGRESS", true)).toBe("task-progress");
    expect(eventOfWrite("STARTED", true)).toBe("task-progress");
    expect(eventOfWrite("RETRY", true)).toBe("task-progress");
    expect(eventOfWrite("SUCCESS", true)).toBe("task-succeeded");
    expect(eventOfWrite("STARTED", false)).toBeNull();
    expect(eventOfWrite("RECEIVED", false)).toBeNull();
    expect(eventOfWrite("PROGRESS", false)).toBeNull();
    expect(["SUCCESS", "FAILURE", "RETRY", "REVOKED"].map((s) => eventOfWrite(s, false))).toEqual(["task-succeeded", "task-failed", "task-retried", "task-revoked"]);
    expect(eventOfState("constructor")).toBeNull();
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
