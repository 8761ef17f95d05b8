/**
 * A deploy that reaches the Worker before one of its QueueDOs (or a gradual deployment that keeps
 * an object on the old version): the durable-object broker sends `enqueueSent`, which the old
 * object does not have. workerd's error for that exact case makes the broker send the same
 * messages through `enqueue`, which every version has; any other error is the caller's to see.
 */
import { describe, expect, it } from "vitest";
import { DurableObjectBroker } from "../../src/brokers/durable-object-broker.js";
import { isMissingRpcMethod } from "../../src/runtime/stubs.js";
import { errorResponse } from "../../src/http/errors.js";
import type { TaskMessage } from "../../src/protocol/message.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";
import { message } from "../brokers/conformance.js";

/** workerd's error for an RPC to a method the receiving object does not have (as thrown by workerd 1.2026). */
const missing = (method: string) => new TypeError(`The RPC receiver does not implement the method "${method}".`);

/** An env whose every QueueDO is one object that throws `sentError` on enqueueSent and records enqueue. */
function oldObjectEnv(sentError: unknown) {
  const received: Array<{ messages: TaskMessage[]; shards: number | undefined }> = [];
  const stub = {
    enqueueSent: async () => {
      throw sentError;
    },
    enqueue: async (messages: TaskMessage[], shards?: number) => {
      received.push({ messages, shards });
      return { added: messages.length };
    },
  };
  const env = { QUEUE_DO: { idFromName: (n: string) => n, get: () => stub } } as unknown as EdgeryEnv;
  return { env, received };
}

describe("enqueue to a QueueDO of an older version", () => {
  it("an object without enqueueSent gets the same messages through enqueue", async () => {
    const { env, received } = oldObjectEnv(missing("enqueueSent"));
    const msgs = [message("q", "demo.add", [1, 2]), message("q", "demo.echo", ["é ✓"])];
    await expect(new DurableObjectBroker(env).enqueue(msgs)).resolves.toStrictEqual({ added: 2 });
    expect(received).toStrictEqual([{ messages: msgs, shards: 1 }]);
  });

  it("any other failure of enqueueSent reaches the caller, and nothing is sent again", async () => {
    for (const err of [missing("enqueue"), new Error('The RPC receiver does not implement the method "enqueueSent".'), new TypeError("boom")]) {
      const { env, received } = oldObjectEnv(err);
      await expect(new DurableObjectBroker(env).enqueue([message("q", "demo.add", [1, 2])])).rejects.toBe(err);
      expect(received).toStrictEqual([]);
    }
  });

  it("an object without holding is taken to hold none of the ids (the apply goes on as before the check); another failure reaches the caller", async () => {
    const envOf = (err: unknown) => ({ QUEUE_DO: { idFromName: (n: string) => n, get: () => ({ holding: async () => { throw err; } }) } }) as unknown as EdgeryEnv;
    await expect(new DurableObjectBroker(envOf(missing("holding"))).holding("q", ["a", "b"])).resolves.toStrictEqual([]);
    const boom = new TypeError("boom");
    await expect(new DurableObjectBroker(envOf(boom)).holding("q", ["a"])).rejects.toBe(boom);
  });

  it("isMissingRpcMethod names only workerd's TypeError for that method", () => {
    expect(isMissingRpcMethod(missing("enqueueSent"), "enqueueSent")).toBe(true);
    expect(isMissingRpcMethod(missing("enqueueSent"), "enqueue")).toBe(false);
    expect(isMissingRpcMethod(new TypeError("stub.enqueueSent is not a function"), "enqueueSent")).toBe(false);
    expect(isMissingRpcMethod("The RPC receiver does not implement the method \"enqueueSent\".", "enqueueSent")).toBe(false);
  });
});

describe("the HTTP answer when an object lacks the method called (src/http/errors.ts)", () => {
  it("is 503 overloaded with Retry-After, as any back-pressure, not 500", async () => {
    for (const method of ["inspect", "listen", "enqueueSent"]) {
      const res = errorResponse(missing(method));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toStrictEqual({ error: { code: "overloaded", message: "the request could not be carried out now; try again" } });
    }
  });

  it("other errors that look alike stay 500 internal", async () => {
    for (const err of [new TypeError("boom"), new Error('The RPC receiver does not implement the method "inspect".'), new TypeError("stub.inspect is not a function"), new TypeError("does not implement the method")]) {
      const res = errorResponse(err);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal");
    }
  });

  it("isMissingRpcMethod without a method names workerd's TypeError for any method", () => {
    expect(isMissingRpcMethod(missing("inspect"))).toBe(true);
    expect(isMissingRpcMethod(new TypeError("boom"))).toBe(false);
  });
});
