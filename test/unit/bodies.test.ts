// Request bodies are read as a stream with the contract's 1 MiB cap (413 payload_too_large as soon
// as it is passed, Content-Length or not), and an unexpected error is 500 internal, never 503.
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/http/api.js";
import { App } from "../../src/app/app.js";
import { MAX_BODY_BYTES } from "../../src/protocol/index.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";

const api = createApi(new App({ name: "bodies-test" }));
const env = { EDGERY_TOKEN: "t" } as EdgeryEnv;
const auth = { authorization: "Bearer t", "content-type": "application/json" };

/** A body that sends `bytes` bytes and then never ends (a client that keeps sending). */
function endless(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < bytes) {
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      }
      // Past `bytes`: nothing more, and no close either.
      return sent < bytes ? undefined : new Promise<void>(() => undefined);
    },
  });
}

describe("bodies", () => {
  for (const path of ["/v1/apply", "/v1/tasks/demo.add", "/v1/apply/bulk", "/v1/queues/q"]) {
    it(`${path}: a body without Content-Length that passes 1 MiB and never ends is 413 without waiting for its end`, async () => {
      const stream = endless(MAX_BODY_BYTES + 256 * 1024);
      const req = new Request(`http://x${path}`, { method: path === "/v1/queues/q" ? "PUT" : "POST", headers: auth, body: stream, duplex: "half" } as RequestInit);
      const res = await api.request(req, undefined, env);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    });
  }

  it("a body of exactly 1 MiB is read (then judged as JSON)", async () => {
    const body = " ".repeat(MAX_BODY_BYTES - 2) + "[]";
    const res = await api.request("/v1/apply", { method: "POST", headers: auth, body }, env);
    expect(res.status).toBe(422);
  });

  it("an unexpected error is 500 internal (no Retry-After), never 503 overloaded", async () => {
    // No QUEUE_DO binding: the route throws a TypeError of its own, nothing edgery expected.
    const res = await api.request("/v1/queues", { headers: auth }, env);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("internal");
    expect(body.error.message).not.toMatch(/QUEUE_DO|TypeError|undefined/);
    expect(res.headers.get("retry-after")).toBeNull();
  });
});
