// The CLI's run (cli/run.ts) against a fake API: `globalThis.fetch` is stubbed, so the command
// line runs as `edgery` runs it, without a server. The e2e suite (test/e2e/cli.test.ts) runs the
// built CLI against the dev server.
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../cli/run.js";
import { fakeFetch, taskResult, type FakeAnswer, type RecordedRequest } from "./client-fake-fetch.js";

const ENV = { EDGERY_URL: "http://edgery.test", EDGERY_TOKEN: "dev-token" };

/** Runs `edgery ARGS` with the API answered by `handler`: the exit code and both streams. */
async function edgery(args: string[], handler: (req: RecordedRequest) => FakeAnswer) {
  vi.stubGlobal("fetch", fakeFetch(handler).fetch);
  let stdout = "";
  let stderr = "";
  const code = await run(args, ENV, { out: (t) => void (stdout += t), err: { write: (t) => void (stderr += t), isTTY: false }, signal: new AbortController().signal });
  return { code, stdout, stderr };
}

afterEach(() => void vi.unstubAllGlobals());

/** A group `g` of two members: one done, one running. */
function groupAnswer(ready: boolean) {
  const m1 = taskResult("m1", "SUCCESS", { result: 2 });
  const m2 = ready ? taskResult("m2", "FAILURE", { error: { type: "DemoError", message: "boom" } }) : taskResult("m2", "STARTED");
  return { id: "g", results: [m1, m2], total: 2, completed: 1, ready, successful: false, failed: ready };
}

/** The API with group `g` (its id reads PENDING as a result, as a group has none) and nothing else. */
function withGroup(ready: () => boolean) {
  return (req: RecordedRequest): FakeAnswer => {
    if (req.path === "/v1/groups/g") return { body: groupAnswer(ready()) };
    if (req.path.startsWith("/v1/groups/")) return { status: 404, body: { error: { code: "not_found", message: "no group with id" } } };
    return { body: taskResult(req.path.split("/").pop()!, "PENDING", { task: null, queue: null }) };
  };
}

describe("edgery result of a group id", () => {
  it("prints the group's members with their states, not PENDING", async () => {
    const r = await edgery(["result", "g"], withGroup(() => false));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^group g: PENDING, 1\/2 completed$/m);
    expect(r.stdout).toMatch(/^m1\s+SUCCESS\s+2$/m);
    expect(r.stdout).toMatch(/^m2\s+STARTED\s+-$/m);
  });

  it("--json prints the group result; a failed member exits 1", async () => {
    const r = await edgery(["result", "g", "--json"], withGroup(() => true));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual(groupAnswer(true));
    expect(r.stderr).toBe("task m2 FAILURE: DemoError: boom\n");
  });

  it("--wait waits for the group to be ready", async () => {
    let reads = 0;
    const r = await edgery(["result", "g", "--wait", "--timeout", "5"], withGroup(() => ++reads > 2));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^group g: FAILURE, 1\/2 completed$/m);
    expect(r.stdout).toMatch(/^m2\s+FAILURE\s+DemoError: boom$/m);
  });

  it("an id that is no group's still prints PENDING", async () => {
    const r = await edgery(["result", "t-unknown"], withGroup(() => false));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("PENDING\n");
  });
});

describe("edgery --json errors", () => {
  it("prints the API's error body as JSON on stdout (with its status), exit 1, nothing on stderr", async () => {
    const r = await edgery(["pause", "bad name", "--json"], () => ({ status: 422, body: { error: { code: "invalid_request", message: "bad queue name", path: "name" } } }));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "invalid_request", message: "bad queue name", path: "name", status: 422 } });
    expect(r.stderr).toBe("");
  });

  it("prints a request that got no answer as a network_error object, exit 3", async () => {
    const r = await edgery(["inspect", "queues", "--json"], () => {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "network_error", message: "cannot reach http://edgery.test: ECONNREFUSED", status: 0 } });
    expect(r.stderr).toBe("");
  });

  it("prints a usage error found after --json was read as JSON, exit 2; without --json, text on stderr", async () => {
    const r = await edgery(["call", "demo.add", "--countdown", "soon", "--json"], () => ({ status: 500 }));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "usage", message: "--countdown: 'soon' is not a number >= 0" } });
    const text = await edgery(["pause", "bad name"], () => ({ status: 422, body: { error: { code: "invalid_request", message: "bad queue name" } } }));
    expect(text.code).toBe(1);
    expect(text.stdout).toBe("");
    expect(text.stderr).toBe("error: invalid_request (HTTP 422): bad queue name\n");
  });
});
