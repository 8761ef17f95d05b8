/**
 * The `edgery` command line against the dev server: the CLI (cli/main.ts, bundled once for Node
 * with esbuild as the package build bundles it) is spawned as a user runs it, with the URL and
 * token from EDGERY_URL / EDGERY_TOKEN unless a test passes flags. Exit codes: 0 ok, 1 the task
 * failed or the API answered an error, 2 usage error, 3 cannot connect.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startDevServer } from "../../scripts/dev-server.mjs";
import { baseUrl, send, sleep, TOKEN, uniq, uniqQueue, waitQueue, waitResult } from "./helpers.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
let dir = "";
let cliJs = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgery-cli-"));
  cliJs = join(dir, "cli.mjs");
  await build({ entryPoints: [join(REPO, "cli/main.ts")], outfile: cliJs, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "error" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `edgery ARGS` to its end (killed after `killAfterMs`, 50 s); env EDGERY_URL/EDGERY_TOKEN point at the dev server unless overridden. */
function cli(args: string[], env: Record<string, string | undefined> = {}, onStderr?: (text: string) => void, killAfterMs = 50_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...args], {
      env: { ...process.env, EDGERY_URL: baseUrl(), EDGERY_TOKEN: TOKEN, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
function json<T = any>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON on stdout: ${show(r)}`);
  }
}

describe("edgery call / result", () => {
  it("call --wait draws the PROGRESS meta as plain lines (not a terminal) and prints the result", async () => {
    const r = await cli(["call", "demo.progress", "4", "500", "--wait"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe("4\n");
    // stderr: the id, then one line per change, e.g. "PROGRESS [#######    ] 2/4 50%".
    expect(r.stderr, show(r)).toMatch(/^PROGRESS \[[# ]{30}\] [1-4]\/4 \d+%$/m);
    expect(r.stderr).not.toContain("\r");
    const id = r.stderr.split("\n")[0]!;
    expect((await waitResult(id)).result).toBe(4);
  });

  it("call --json answers the handle; result --wait --json the whole result", async () => {
    const sent = await cli(["call", "demo.add", "2", "3", "--json"]);
    expect(sent.code, show(sent)).toBe(0);
    const handle = json<{ id: string; kind: string }>(sent);
    expect(handle.kind).toBe("task");
    const got = await cli(["result", handle.id, "--wait", "--json"]);
    expect(got.code, show(got)).toBe(0);
    expect(json(got)).toMatchObject({ id: handle.id, state: "SUCCESS", result: 5, task: "demo.add" });
  });

  it("passes JSON arguments, strings and --kwargs as they are", async () => {
    const r = await cli(["call", "demo.echo", "[1,2]", "plain text", '"quoted"', "--kwargs", '{"k": {"n": null}}', "--wait"]);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ args: [[1, 2], "plain text", "quoted"], kwargs: { k: { n: null } } });
    // `--` lets an argument start with '-'.
    const neg = await cli(["call", "demo.add", "--wait", "--", "-2", "-3"]);
    expect(neg.code, show(neg)).toBe(0);
    expect(neg.stdout).toBe("-5\n");
  });

  it("a failed task exits 1 with its error on stderr; result of a pending id prints PENDING", async () => {
    const r = await cli(["call", "demo.fail", "cli boom", "--wait"]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/FAILURE: DemoError: cli boom/);
    const pending = await cli(["result", uniq("never-sent")]);
    expect(pending.code, show(pending)).toBe(0);
    expect(pending.stdout).toBe("PENDING\n");
  });

  it("result --wait --timeout gives up with exit 1 while the task goes on", async () => {
    const q = uniqQueue();
    expect((await cli(["pause", q])).code).toBe(0);
    const h = await send("demo.add", { args: [1, 1], options: { queue: q } });
    const r = await cli(["result", h.id, "--wait", "--timeout", "1"]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/^timeout: /m);
    expect((await cli(["resume", q])).code).toBe(0);
    expect((await waitResult(h.id)).result).toBe(2);
  });
});

describe("edgery inspect", () => {
  it("registered lists the served tasks with their defaults and queue", async () => {
    const r = await cli(["inspect", "registered", "--json"]);
    expect(r.code, show(r)).toBe(0);
    const tasks = json<Array<{ name: string; defaults: Record<string, unknown> }>>(r);
    const byName = new Map(tasks.map((t) => [t.name, t.defaults]));
    expect(byName.get("demo.progress")).toEqual({ queue: "default" });
    expect(byName.get("demo.mul")).toEqual({ queue: "math" });
    expect(byName.get("demo.add_late")).toMatchObject({ acks_late: true, queue: "default" });
    // Celery's built-ins are left out, as `celery inspect registered` leaves them out.
    expect([...byName.keys()].some((n) => n.startsWith("celery."))).toBe(false);
    expect([...byName.keys()]).toEqual([...byName.keys()].sort());
    const text = await cli(["inspect", "registered"]);
    expect(text.stdout).toMatch(/^demo\.progress\s+\{"queue":"default"\}$/m);
  });

  it("active shows a running task with its progress; revoke --terminate stops it", async () => {
    const q = uniqQueue();
    const sent = await cli(["call", "demo.progress", "40", "500", "--queue", q]);
    expect(sent.code, show(sent)).toBe(0);
    const id = sent.stdout.trim();
    let active: any[] = [];
    for (let i = 0; i < 100 && !active.some((t) => t.id === id && t.meta); i++) {
      const r = await cli(["inspect", "active", "--queue", q, "--json"]);
      expect(r.code, show(r)).toBe(0);
      active = json(r);
      await sleep(200);
    }
    expect(active).toEqual([expect.objectContaining({ id, task: "demo.progress", queue: q, state: "PROGRESS", worker: expect.any(String) })]);
    expect(active[0].meta).toMatchObject({ total: 40, current: expect.any(Number) });
    const all = await cli(["inspect", "active", "--json"]);
    expect(json<any[]>(all).map((t) => t.id)).toContain(id);
    const text = await cli(["inspect", "active", "--queue", q]);
    expect(text.stdout).toMatch(new RegExp(`^${id}\\s+demo\\.progress\\s+${q}\\s+PROGRESS`, "m"));

    const revoked = await cli(["revoke", id, "--terminate", "--json"]);
    expect(revoked.code, show(revoked)).toBe(0);
    expect(json(revoked)).toMatchObject({ id });
    expect((await waitResult(id)).state).toBe("REVOKED");
    await waitQueue(q, (s) => s.leased === 0);
    expect(json((await cli(["inspect", "active", "--queue", q, "--json"])))).toEqual([]);
    const after = await cli(["result", id]);
    expect(after.code, show(after)).toBe(1);
    expect(after.stderr).toContain("REVOKED");
  });

  it("scheduled lists a delayed task with its eta, soonest first", async () => {
    const q = uniqQueue();
    const later = json<{ id: string }>(await cli(["call", "demo.add", "1", "2", "--queue", q, "--countdown", "900", "--json"]));
    const sooner = json<{ id: string }>(await cli(["call", "demo.add", "3", "4", "--queue", q, "--countdown", "600", "--priority", "7", "--json"]));
    const r = await cli(["inspect", "scheduled", "--queue", q, "--json"]);
    expect(r.code, show(r)).toBe(0);
    const tasks = json<Array<{ id: string; task: string; queue: string; eta: string; priority: number }>>(r);
    expect(tasks.map((t) => t.id)).toEqual([sooner.id, later.id]);
    expect(tasks[0]).toMatchObject({ task: "demo.add", queue: q, priority: 7 });
    expect(Date.parse(tasks[0]!.eta)).toBeGreaterThan(Date.now() + 60_000);
    expect(Date.parse(tasks[1]!.eta)).toBeGreaterThan(Date.parse(tasks[0]!.eta));
    const one = await cli(["inspect", "scheduled", "--queue", q, "--limit", "1", "--json"]);
    expect(json<any[]>(one).map((t) => t.id)).toEqual([sooner.id]);
    for (const id of [later.id, sooner.id]) expect((await cli(["revoke", id])).code).toBe(0);
    await waitQueue(q, (s) => s.delayed === 0);
  });

  it("queues shows the counts; a bad view or option is a usage error", async () => {
    const r = await cli(["inspect", "queues", "--json"]);
    expect(r.code, show(r)).toBe(0);
    expect(json<any[]>(r).map((q) => q.name)).toContain("default");
    expect((await cli(["inspect", "workers"])).code).toBe(2);
    expect((await cli(["inspect", "registered", "--queue", "x"])).code).toBe(2);
    expect((await cli(["inspect", "active", "--limit", "0"])).code).toBe(2);
  });
});

describe("edgery pause / resume / purge", () => {
  it("pauses a queue, purges its waiting messages, resumes it", async () => {
    const q = uniqQueue();
    const paused = await cli(["pause", q, "--json"]);
    expect(paused.code, show(paused)).toBe(0);
    expect(json(paused)).toMatchObject({ name: q, paused: true });
    for (const n of [1, 2, 3]) expect((await cli(["call", "demo.add", String(n), "1", "--queue", q])).code).toBe(0);
    const stats = json<any[]>(await cli(["inspect", "queues", "--json"])).find((s) => s.name === q);
    expect(stats).toMatchObject({ waiting: 3, paused: true });
    const purged = await cli(["purge", q]);
    expect(purged.code, show(purged)).toBe(0);
    expect(purged.stdout).toBe(`purged 3 from ${q}\n`);
    const resumed = await cli(["resume", q]);
    expect(resumed.stdout).toBe(`${q} running\n`);
    await waitQueue(q, (s) => !s.paused && s.waiting === 0);
  });
});

describe("edgery events", () => {
  it("tails the events that pass the filters, one JSON object a line, until --limit", async () => {
    const marker = uniq("ev");
    let sent: Promise<{ id: string }> | undefined;
    const r = await cli(["events", "--task", "demo.ec*", "--state", "success", "--limit", "1", "--timeout", "40", "--json"], {}, (err) => {
      // Send only once the feed is open: events before it are not seen.
      if (!sent && err.includes("listening")) sent = send("demo.echo", { args: [marker] });
    });
    expect(r.code, show(r)).toBe(0);
    expect(sent, show(r)).toBeDefined();
    const { id } = await sent!;
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "task-succeeded", data: { id, task: "demo.echo", state: "SUCCESS", result: { args: [marker] } } });
  });

  it("opens the feed again when the server goes away and comes back, and shows what the new one sends", async () => {
    // A server of its own, killed (SIGKILL, as a crash) once the feed is open and started again
    // on the same port and state.
    let server = await startDevServer({ label: "cli-events-restart" });
    const { port, persistDir } = server;
    const marker = uniq("ev-restart");
    const steps: Promise<unknown>[] = [];
    let killed = false;
    // The task is sent once both have happened, in either order: the new server is up (its
    // start returned) and the CLI has opened the feed again (it may reach the new server before
    // the start returns, which waits for the server's ready line).
    let restarted = false;
    let reopened = false;
    let sent = false;
    let id: string | undefined;
    const sendOnce = () => {
      if (!restarted || !reopened || sent) return;
      sent = true;
      steps.push(
        (async () => {
          const res = await fetch(`${server.baseUrl}/v1/tasks/demo.echo`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ args: [marker] }) });
          id = ((await res.json()) as { id: string }).id;
        })(),
      );
    };
    try {
      const r = await cli(["events", "--task", "demo.echo", "--state", "success", "--limit", "1", "--timeout", "90", "--json"], { EDGERY_URL: server.baseUrl }, (err) => {
        const opens = err.split("listening for events").length - 1;
        if (opens === 1 && !killed) {
          killed = true;
          steps.push(
            (async () => {
              await server.kill();
              server = await startDevServer({ label: "cli-events-restart", port, persistDir });
              restarted = true;
              sendOnce();
            })(),
          );
        } else if (opens >= 2) {
          reopened = true;
          sendOnce();
        }
      }, 100_000);
      await Promise.all(steps);
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toMatch(/event feed (lost|ended); opening it again in [\d.]+ s/);
      expect(r.stderr.split("listening for events").length - 1, show(r)).toBe(2);
      expect(id, show(r)).toBeDefined();
      const lines = r.stdout.trim().split("\n");
      expect(lines, show(r)).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ event: "task-succeeded", data: { id, task: "demo.echo", result: { args: [marker] } } });
    } finally {
      await Promise.allSettled(steps);
      await server.stop();
      rmSync(persistDir, { recursive: true, force: true });
    }
  }, 150_000);

  it("ends with 0 after --timeout when nothing matched", async () => {
    const r = await cli(["events", "--task", "no.such.*", "--timeout", "1"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe("");
  });
});

describe("edgery dead-letters", () => {
  it("lists a task that failed for good and replays it", async () => {
    const q = uniqQueue();
    const failed = await cli(["call", "demo.fail", "dead cli", "--queue", q, "--wait", "--json"]);
    expect(failed.code, show(failed)).toBe(1);
    const { id } = json<{ id: string }>(failed);
    const list = await cli(["dead-letters", "--queue", q, "--json"]);
    expect(list.code, show(list)).toBe(0);
    expect(json(list)).toMatchObject({ items: [{ id, task: "demo.fail", queue: q, error: { type: "DemoError", message: "dead cli" } }], cursor: null });
    const text = await cli(["dead-letters", "--queue", q]);
    expect(text.stdout).toMatch(new RegExp(`^${id}\\s+demo\\.fail\\s+${q}\\s+\\S+\\s+DemoError: dead cli$`, "m"));
    const replay = await cli(["dead-letters", "replay", id, "--queue", q]);
    expect(replay.code, show(replay)).toBe(0);
    const again = replay.stdout.trim();
    expect(again).not.toBe(id);
    const res = await cli(["result", again, "--wait"]);
    expect(res.code, show(res)).toBe(1);
    expect(res.stderr).toContain("DemoError: dead cli");
    const missing = await cli(["dead-letters", "replay", uniq("nope")]);
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toMatch(/not_found \(HTTP 404\)/);
  });
});

describe("edgery errors and exit codes", () => {
  it("an unknown task exits 1 with the API's error code", async () => {
    const r = await cli(["call", uniq("no.such.task"), "--wait"]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/unknown_task \(HTTP 4\d\d\)/);
  });

  it("a bad token exits 1 (401); --token beats EDGERY_TOKEN; a read-only token cannot purge (403)", async () => {
    const bad = await cli(["inspect", "registered"], { EDGERY_TOKEN: "wrong" });
    expect(bad.code, show(bad)).toBe(1);
    expect(bad.stderr).toMatch(/unauthorized \(HTTP 401\)/);
    const flag = await cli(["inspect", "registered", "--token", TOKEN], { EDGERY_TOKEN: "wrong" });
    expect(flag.code, show(flag)).toBe(0);
    const none = await cli(["inspect", "registered"], { EDGERY_TOKEN: "" });
    expect(none.code, show(none)).toBe(1);
    // The inspection routes need the read scope.
    const enqueueOnly = await cli(["inspect", "active"], { EDGERY_TOKEN: "dev-enqueue" });
    expect(enqueueOnly.code, show(enqueueOnly)).toBe(1);
    expect(enqueueOnly.stderr).toMatch(/forbidden \(HTTP 403\)/);
    expect((await cli(["inspect", "scheduled"], { EDGERY_TOKEN: "dev-read" })).code).toBe(0);
    const readOnly = await cli(["purge", uniqQueue()], { EDGERY_TOKEN: "dev-read" });
    expect(readOnly.code, show(readOnly)).toBe(1);
    expect(readOnly.stderr).toMatch(/forbidden \(HTTP 403\)/);
  });

  it("no server exits 3; --url beats EDGERY_URL", async () => {
    const port = await freePort();
    const r = await cli(["inspect", "queues"], { EDGERY_URL: `http://127.0.0.1:${port}` });
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+/);
    const events = await cli(["events", "--timeout", "5"], { EDGERY_URL: `http://127.0.0.1:${port}` });
    expect(events.code, show(events)).toBe(3);
    const flag = await cli(["inspect", "queues", "--url", baseUrl()], { EDGERY_URL: `http://127.0.0.1:${port}` });
    expect(flag.code, show(flag)).toBe(0);
  });

  it("usage errors exit 2 and say what is wrong", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /usage: edgery/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["call"], /usage: edgery call TASK/],
      [["call", "demo.add", "--kwargs", "[1]"], /--kwargs: must be a JSON object/],
      [["call", "demo.add", "--kwargs", "{nope"], /--kwargs: not JSON/],
      [["call", "demo.add", "--countdown", "soon"], /--countdown: 'soon' is not a number/],
      [["call", "demo.add", "--timeout", "3"], /--timeout needs --wait/],
      [["call", "demo.add", "--terminate"], /'call' takes no --terminate option/],
      [["result"], /usage: edgery result ID/],
      [["result", "a", "b"], /usage: edgery result ID/],
      [["purge", "q", "--bogus"], /Unknown option '--bogus'/],
      [["events", "--limit", "-1"], /--limit/],
      [["dead-letters", "replay"], /usage: edgery dead-letters/],
      [["inspect", "queues", "--url", "not a url"], /--url: 'not a url' is not a URL/],
      [["inspect", "queues", "--url", "ftp://x"], /not an http\(s\) URL/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(" ")}: ${show(r)}`).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stdout, args.join(" ")).toBe("");
    }
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/exit codes: 0 ok, 1 .*, 2 usage error, 3 cannot connect/);
  });

  it("a queue name the API refuses is an error answer (exit 1), not a crash", async () => {
    const r = await cli(["pause", "bad name"]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/invalid_request \(HTTP 422\)/);
  });
});
