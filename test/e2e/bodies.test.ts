// Contract, "Errors": a body over 1 MiB is 413 payload_too_large, also when it comes chunked
// (no Content-Length): the Worker reads it as a stream and stops at the cap.
import { describe, expect, it } from "vitest";
import { baseUrl, expectHealthy, uniqId, waitResult } from "./helpers";

/** A chunked body: `bytes` bytes in 64 KiB chunks, then the end. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < bytes) {
        controller.enqueue(chunk);
        sent += chunk.byteLength;
        return;
      }
      controller.close();
    },
  });
}

async function post(path: string, body: ReadableStream<Uint8Array>) {
  const res = await fetch(baseUrl() + path, {
    method: "POST",
    headers: { authorization: "Bearer dev-token", "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
  return { status: res.status, json: (await res.json().catch(() => null)) as { error?: { code: string } } | null };
}

describe("bodies are capped while they are read", () => {
  it("a 30 MB chunked body is 413 payload_too_large, and the Worker stays up", async () => {
    const res = await post("/v1/apply", chunked(30 * 1024 * 1024));
    expect(res.status).toBe(413);
    // The answer's JSON body may be lost: the Worker answers before the upload ends and the
    // connection is then closed on the rest (the unit test bodies.test.ts checks the body, and
    // that a body which never ends is answered at all).
    if (res.json !== null) expect(res.json.error?.code).toBe("payload_too_large");
    await expectHealthy();
  });

  it("a chunked body just under 1 MiB is taken as before", async () => {
    const id = uniqId();
    const text = JSON.stringify({ task: "demo.identity", args: ["x".repeat(64 * 1024)], options: { task_id: id } }) + " ".repeat(900 * 1024);
    const res = await post("/v1/apply", new Blob([text]).stream() as ReadableStream<Uint8Array>);
    expect(res.status).toBe(202);
    expect((await waitResult(id)).result).toHaveLength(64 * 1024);
  });
});
