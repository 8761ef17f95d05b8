// The task error classes are one definition shared by both entries: `edgery` (the Worker, which
// re-exports src/protocol/index.ts whole) and `edgery/client`. An error a task catches and an
// error the client rethrows are instances of the same class, whichever entry it was imported from.
import { describe, expect, it } from "vitest";
import * as client from "../../client/index.js";
import * as server from "../../src/protocol/index.js";
import { fakeClient, taskResult } from "./client-fake-fetch.js";

const SHARED = ["TaskFailedError", "SoftTimeLimitExceeded", "TimeLimitExceeded", "ChordError", "TaskRevokedError", "MaxRetriesExceededError", "NotRegistered"] as const;

describe("task error classes", () => {
  it.each(SHARED)("%s is the same class object in both entries", (name) => {
    expect(server[name]).toBeTypeOf("function");
    expect(client[name]).toBe(server[name]);
  });

  it("an error the client rethrows is an instance of the Worker entry's class", async () => {
    const { client: c } = fakeClient(() => ({ body: taskResult("t1", "FAILURE", { error: { type: "SoftTimeLimitExceeded", message: "SoftTimeLimitExceeded(1)" } }) }));
    const err = await c.result("t1").get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(server.SoftTimeLimitExceeded);
    expect(err).toBeInstanceOf(server.TaskFailedError);
    expect(err).toMatchObject({ name: "SoftTimeLimitExceeded", type: "SoftTimeLimitExceeded", taskId: "t1", state: "FAILURE" });
  });

  it("an error raised into a task keeps its Celery name and wire form, and is a client class", () => {
    const soft = new server.SoftTimeLimitExceeded("SoftTimeLimitExceeded(0.5)");
    expect(soft).toBeInstanceOf(client.SoftTimeLimitExceeded);
    expect(soft).toBeInstanceOf(client.TaskFailedError);
    expect(soft).toMatchObject({ name: "SoftTimeLimitExceeded", type: "SoftTimeLimitExceeded", message: "SoftTimeLimitExceeded(0.5)", taskId: "", state: "FAILURE" });
    expect(server.serializeError(soft)).toStrictEqual({ type: "SoftTimeLimitExceeded", message: "SoftTimeLimitExceeded(0.5)" });
    expect(new server.TaskRevokedError()).toMatchObject({ name: "TaskRevokedError", message: "revoked", state: "REVOKED" });
    expect(new server.TimeLimitExceeded()).toMatchObject({ name: "TimeLimitExceeded", message: "TimeLimitExceeded()" });
  });
});
