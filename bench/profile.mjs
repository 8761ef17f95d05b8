#!/usr/bin/env node
// CPU profile of the throughput workload: N demo.noop through POST /v1/apply/bulk (1,000 per
// request, 4 in flight) against a dev server that runs with an inspector, profiled in workerd's
// isolates over the Chrome DevTools Protocol while the queue drains. Writes one .cpuprofile per
// isolate (open it in Chrome DevTools) and prints where the samples went: by entry point (the
// outermost QueueDO/ResultDO/consumer method on the stack) and by leaf function.
//
//   node scripts/miniflare-dev.mjs -c wrangler.toml -c apps/billing/wrangler.toml --var EDGERY_DEV:true \
//        --port 8787 --inspector-port 9230 --no-watch --persist-to /dev/shm/edgery-profile
//   BENCH_BASE_URL=http://127.0.0.1:8787 INSPECTOR_PORT=9230 node bench/profile.mjs
//
// WORKLOAD=latency profiles N sequential one-request round trips (`POST /v1/tasks/demo.noop?wait=10`)
// instead, and prints workerd's CPU time per round trip; WORKLOAD=chord, N header members as
// chords of CHORD_K (1,000) sent one after another (the bench's fan-in workload); WORKLOAD=apply,
// the same chords sent to a paused queue (the apply alone).
//
// Env: N (10000), CHORD_K (1000), WARM (2000), INTERVAL_US (sampling interval, 500), OUT (output directory,
// $TMPDIR), ISOLATES (comma-separated inspector targets, "core:user:edgery,queues:queue"; the
// second is Miniflare's Queue broker), WORKERD_PID (also print workerd's CPU time per task, all
// its threads, from /proc). Counts are samples, not time deltas: workerd runs every isolate on one
// thread, so a sample's delta also holds the time the thread spent in another isolate.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiClient } from "./http.mjs";

// Node 22 has a WebSocket of its own; on older Node, `ws` (installed with wrangler/miniflare).
const WebSocketImpl = globalThis.WebSocket ?? (await import("ws")).default;

const BASE = (process.env.BENCH_BASE_URL ?? "").replace(/\/+$/, "");
const PORT = process.env.INSPECTOR_PORT;
if (!BASE || !PORT) {
  console.error("profile: set BENCH_BASE_URL and INSPECTOR_PORT (see the comment at the top)");
  process.exit(2);
}
const N = Number(process.env.N || 10000);
const WARM = Number(process.env.WARM ?? 2000);
const OUT = process.env.OUT || tmpdir();
/** WORKLOAD=chord: the members of each chord. */
const CHORD_K = Number(process.env.CHORD_K || 1000);
const ISOLATES = (process.env.ISOLATES || "core:user:edgery,queues:queue").split(",");
/** The methods a sample is charged to: the outermost of these on its stack. */
const ENTRIES = new Set(["applyCanvases", "readResult", "lookup", "wait", "run", "enqueue", "dispatch", "begin", "settle", "heartbeat", "write", "flushOnce", "consume", "deliver", "queue", "fetch", "stats", "alarm", "report", "scheduleAlarm"]);
/** A call that must succeed: its JSON (bench/http.mjs; 503 `overloaded` is waited out). */
const call = apiClient({ base: () => BASE, token: process.env.BENCH_TOKEN || "dev-token" }).json;

/** N demo.noop through the bulk route, 4 requests in flight, until the queue counts them completed. */
async function throughput(n) {
  const completed = async () => (await call("GET", "/v1/queues/default")).completed;
  const base = await completed();
  const t0 = performance.now();
  let next = 0;
  const batches = Math.ceil(n / 1000);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches) {
        const size = Math.min(1000, n - next++ * 1000);
        await call("POST", "/v1/apply/bulk", { signatures: Array.from({ length: size }, () => ({ task: "demo.noop" })) });
      }
    }),
  );
  while ((await completed()) - base < n) await new Promise((r) => setTimeout(r, 20));
  return Math.round((n / (performance.now() - t0)) * 1000);
}

/** N sequential one-request round trips (POST ?wait=10, fetch): round trips per second. */
async function roundTrips(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await call("POST", "/v1/tasks/demo.noop?wait=10", {});
    if (r.result?.state !== "SUCCESS") throw new Error(`round trip: ${JSON.stringify(r).slice(0, 200)}`);
  }
  return Math.round((n / (performance.now() - t0)) * 1000);
}

/** N header members as chords of CHORD_K demo.identity(1) (body demo.xsum), one at a time, each waited for: members per second. */
async function chords(n) {
  const t0 = performance.now();
  for (let i = 0; i < Math.ceil(n / CHORD_K); i++) {
    const chord = { task: "celery.chord", kwargs: { header: Array.from({ length: CHORD_K }, () => ({ task: "demo.identity", args: [1] })), body: { task: "demo.xsum" } }, subtask_type: "chord" };
    const { id } = await call("POST", "/v1/apply", chord);
    for (;;) {
      const r = await call("GET", `/v1/results/${id}?wait=30`);
      if (r.state === "SUCCESS") break;
      if (r.state === "FAILURE" || r.state === "REVOKED") throw new Error(`chord ${id}: ${r.state}`);
    }
  }
  return Math.round((n / (performance.now() - t0)) * 1000);
}

/**
 * N header members as chords of CHORD_K sent one after another to a paused queue, so that only the
 * apply is measured (parse, checks, plan, the chord's opening and the enqueue); purged after.
 */
async function applies(n) {
  const q = `profile-apply-${Date.now()}`;
  await call("PUT", `/v1/queues/${q}`, { paused: true });
  const t0 = performance.now();
  for (let i = 0; i < Math.ceil(n / CHORD_K); i++) {
    const header = Array.from({ length: CHORD_K }, () => ({ task: "demo.identity", args: [1], options: { queue: q } }));
    await call("POST", "/v1/apply", { task: "celery.chord", kwargs: { header, body: { task: "demo.xsum", options: { queue: q } } }, subtask_type: "chord" });
  }
  const rate = Math.round((n / (performance.now() - t0)) * 1000);
  await call("DELETE", `/v1/queues/${q}/messages`);
  return rate;
}

const LATENCY = process.env.WORKLOAD === "latency";
const CHORD = process.env.WORKLOAD === "chord";
const APPLY = process.env.WORKLOAD === "apply";
const workload = LATENCY ? roundTrips : CHORD ? chords : APPLY ? applies : throughput;
const unit = LATENCY ? "round trips" : CHORD ? "chord members" : APPLY ? "chord members applied" : "tasks";

/** One DevTools session per isolate. */
async function session(target) {
  const ws = new WebSocketImpl(target.webSocketDebuggerUrl);
  await new Promise((ok, fail) => (ws.addEventListener("open", ok), ws.addEventListener("error", fail)));
  let id = 0;
  const waiting = new Map();
  ws.addEventListener("message", (event) => {
    const m = JSON.parse(String(event.data));
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  });
  const send = (method, params = {}) => new Promise((ok) => (waiting.set(++id, ok), ws.send(JSON.stringify({ id, method, params }))));
  return { name: target.title, send, close: () => ws.close() };
}

/** workerd's CPU time (user + system, all threads) in ms, from /proc. */
function workerdCpuMs(pid) {
  let ticks = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** Sample counts of a profile by entry point and by leaf function (the top `k` of each). */
function summary(profile, k = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const entries = new Map();
  const leaves = new Map();
  const bump = (m, key) => m.set(key, (m.get(key) ?? 0) + 1);
  for (const sample of profile.samples) {
    const leaf = byId.get(sample).callFrame;
    bump(leaves, `${leaf.functionName || "(anonymous)"} ${leaf.url.split("/").pop()}:${leaf.lineNumber + 1}`);
    let entry = leaf.functionName.startsWith("(") ? leaf.functionName : "(other)";
    for (let at = sample; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at).callFrame.functionName;
      if (ENTRIES.has(name)) entry = name;
    }
    bump(entries, entry);
  }
  const total = profile.samples.length;
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([key, n]) => `  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`).join("\n");
  return `${total} samples\n by entry point:\n${top(entries)}\n by leaf function:\n${top(leaves)}`;
}

const targets = await (await fetch(`http://127.0.0.1:${PORT}/json`)).json();
const sessions = [];
for (const name of ISOLATES) {
  const target = targets.find((t) => t.title === name || t.webSocketDebuggerUrl.endsWith(`/${name}`));
  if (target) sessions.push(await session(target));
  else console.error(`profile: no inspector target ${name} (have: ${targets.map((t) => t.title).join(", ")})`);
}
if (WARM > 0) console.error(`warm-up: ${WARM} ${unit} at ${await workload(WARM)}/s`);
for (const s of sessions) {
  await s.send("Profiler.enable");
  await s.send("Profiler.setSamplingInterval", { interval: Number(process.env.INTERVAL_US || 500) });
  await s.send("Profiler.start");
}
const pid = process.env.WORKERD_PID;
const cpu0 = pid ? workerdCpuMs(pid) : 0;
const perS = await workload(N);
const cpuUsPerTask = pid ? Math.round(((workerdCpuMs(pid) - cpu0) * 1000) / N) : null;
console.log(`${LATENCY ? "latency" : CHORD ? "chord" : "throughput"}: ${N} ${unit} at ${perS}/s (profiler on)${cpuUsPerTask === null ? "" : `; workerd CPU ${cpuUsPerTask} µs per ${LATENCY ? "round trip" : "task"}`}`);
for (const s of sessions) {
  const { profile } = await s.send("Profiler.stop");
  const file = join(OUT, `edgery-${s.name.replace(/[^a-z0-9-]+/gi, "_")}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`\n${s.name} (${file}): ${summary(profile)}`);
  s.close();
}
