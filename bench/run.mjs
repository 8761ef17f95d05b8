#!/usr/bin/env node
// edgery benchmark: the same three workloads as the peer baselines in bench/peers/
// (throughput, fan-in, latency), over the public HTTP API of `npm run dev`.
//
// Starts `npm run dev` itself (Miniflare directly; EDGERY_DEV_SERVER=wrangler: `npm run dev:wrangler`;
// free port, fresh --persist-to dir), prints ONE JSON line to stdout
// (progress and errors go to stderr), then stops the server. A workload that fails reports null.
//
// Env: N (throughput tasks, 10000), WARM (warm-up tasks first, 2000), K (chord members, 1000), K2 (big chord, 10000),
//      L (latency round trips, 200), C (bulk requests in flight, 4),
//      BENCH_BASE_URL (use a running server instead of starting one), BENCH_TOKEN (dev-token),
//      BENCH_LOG_LEVEL (the server's --log-level, warn).
import { existsSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { devServerKind, startDevServer } from "../scripts/dev-server.mjs";
import { apiClient } from "./http.mjs";

const N = Number(process.env.N || 10000);
const K = Number(process.env.K || 1000);
const K2 = Number(process.env.K2 || 10000);
const L = Number(process.env.L || 200);
const C = Number(process.env.C || 4);
const WARM = Number(process.env.WARM ?? 2000);
const BULK = 1000;
const TOKEN = process.env.BENCH_TOKEN || "dev-token";
const DRAIN_TIMEOUT_MS = 600_000;
const FANIN_TIMEOUT_MS = 600_000;
const STALL_MS = 60_000;

const log = (...a) => process.stderr.write(`[bench] ${a.join(" ")}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let BASE = "";

/** One API call: `{ status, json, text }`, after waiting out 503 `overloaded` (bench/http.mjs). */
const { call } = apiClient({ base: () => BASE, token: TOKEN });

function must(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

const READY = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

async function waitResult(id, timeoutMs, waitS = 30) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    const r = must(await call("GET", `/v1/results/${encodeURIComponent(id)}?wait=${waitS}`), 200, "result");
    if (READY.has(r.state)) return r;
    if (Date.now() - t0 < 100) await sleep(100);
  }
  throw new Error(`result ${id} not ready after ${timeoutMs} ms`);
}

async function queueCompleted(name) {
  return must(await call("GET", `/v1/queues/${name}`), 200, "queue stats").completed;
}

/** Workload 1: n demo.noop through POST /v1/apply/bulk, C requests in flight; drained via stats. */
async function throughput(N) {
  const base = await queueCompleted("default");
  const batches = [];
  for (let i = 0; i < N; i += BULK) {
    batches.push(Array.from({ length: Math.min(BULK, N - i) }, () => ({ task: "demo.noop" })));
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(C, batches.length) }, async () => {
      while (next < batches.length) {
        const signatures = batches[next++];
        const res = must(await call("POST", "/v1/apply/bulk", { signatures }), 202, "bulk");
        if (res?.handles?.length !== signatures.length) throw new Error(`bulk: ${res?.handles?.length} handles`);
      }
    }),
  );
  const tEnq = performance.now() - t0;
  log(`enqueued ${N} in ${tEnq.toFixed(0)} ms; draining…`);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let done = 0;
  let lastLog = Date.now();
  let lastDone = -1;
  let lastMove = Date.now();
  while (Date.now() < deadline) {
    done = (await queueCompleted("default")) - base;
    if (done >= N) break;
    if (done !== lastDone) { lastDone = done; lastMove = Date.now(); }
    else if (Date.now() - lastMove > STALL_MS) break; // no progress at all: give up early
    if (Date.now() - lastLog > 5000) { log(`  drained ${done}/${N}`); lastLog = Date.now(); }
    await sleep(50);
  }
  const tAll = performance.now() - t0;
  if (done < N) throw Object.assign(new Error(`drain: ${done}/${N} completed (timed out or stalled)`), { enqueue_per_s: Math.round((N / tEnq) * 1000) });
  return { enqueue_per_s: Math.round((N / tEnq) * 1000), end_to_end_per_s: Math.round((N / tAll) * 1000) };
}

/** Workloads 2a/2b: a chord of k demo.identity(1) with body demo.xsum; the result must equal k. */
/**
 * Brokers side by side: N tasks as groups of 1,000 (one POST /v1/apply each, C in flight), done
 * when every group reads ready through GET /v1/groups/:id?wait= (the cloudflare-queue broker keeps
 * no queue counters, so both brokers are measured this same way).
 */
async function groupsThroughput(task) {
  const t0 = performance.now();
  const ids = [];
  let next = 0;
  const chunksOf = Array.from({ length: Math.ceil(N / BULK) }, (_, i) => Math.min(BULK, N - i * BULK));
  await Promise.all(
    Array.from({ length: Math.min(C, chunksOf.length) }, async () => {
      while (next < chunksOf.length) {
        const n = chunksOf[next++];
        const g = { task: "celery.group", kwargs: { tasks: Array.from({ length: n }, () => ({ task })) }, subtask_type: "group" };
        ids.push(must(await call("POST", "/v1/apply", g), 202, `group of ${task}`).id);
      }
    }),
  );
  for (const id of ids) {
    for (;;) {
      const g = must(await call("GET", `/v1/groups/${id}?wait=30`), 200, "group");
      if (g.ready) {
        if (!g.successful) throw new Error(`group ${id} of ${task} failed`);
        break;
      }
    }
  }
  return Math.round((N / (performance.now() - t0)) * 1000);
}

/** Result backends: `n` results written and read back (?wait=) through one task's backend. */
async function backendRoundTrip(task, n, argOf, check) {
  const t0 = performance.now();
  const ids = [];
  for (let k = 0; k < n; k += BULK) {
    const signatures = Array.from({ length: Math.min(BULK, n - k) }, (_, j) => ({ task, args: [argOf(k + j)] }));
    ids.push(...must(await call("POST", "/v1/apply/bulk", { signatures }), 202, `bulk ${task}`).handles.map((h) => h.id));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < ids.length) {
        const r = await waitResult(ids[next++], 120_000);
        if (r.state !== "SUCCESS" || (check && !check(r))) throw new Error(`${task}: ${r.state}`);
      }
    }),
  );
  return Math.round(performance.now() - t0);
}

async function fanin(k) {
  const body = {
    task: "celery.chord",
    args: [],
    kwargs: { header: Array.from({ length: k }, () => ({ task: "demo.identity", args: [1] })), body: { task: "demo.xsum" }, kwargs: {} },
    options: {},
    subtask_type: "chord",
    immutable: false,
  };
  const t0 = performance.now();
  const res = await call("POST", "/v1/apply", body);
  if (res.status !== 202) throw new Error(`chord of ${k}: ${res.status} ${res.text.slice(0, 300)}`);
  const r = await waitResult(res.json.id, FANIN_TIMEOUT_MS);
  const ms = performance.now() - t0;
  if (r.state !== "SUCCESS" || r.result !== k) throw new Error(`chord of ${k}: ${r.state} ${JSON.stringify(r.result ?? r.error)}`);
  return { ms: Math.round(ms), result: r.result };
}

/** Workload 3: L sequential POST /v1/tasks/demo.noop → GET /v1/results/:id?wait=10 round trips. */
/**
 * One request over a kept-alive node:http connection: the latency workload measures the server,
 * and Node's fetch (undici) adds ~1.4 ms of its own per request on this machine (measured: 8.1 vs
 * 5.3 ms p50 per round trip against the same server). BullMQ's bench uses its Redis client alike.
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
function httpJson(method, path, body) {
  const url = new URL(BASE + path);
  return new Promise((ok, fail) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent: keepAlive, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => ok({ status: res.statusCode, json: text ? JSON.parse(text) : undefined, text }));
      },
    );
    req.on("error", fail);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/**
 * Workload 3: L sequential round trips of one demo.noop, from the send to its result:
 * - `one` (`latency_*`): one request, `POST /v1/tasks/demo.noop?wait=10` (the contract's one round
 *   trip), over a kept-alive node:http connection;
 * - `two` (`latency_two_request_*`): `POST /v1/tasks/demo.noop` then `GET /v1/results/:id?wait=10`,
 *   over the same kind of connection;
 * - `fetch` (`latency_fetch_*`): the two requests with Node's fetch, for comparison.
 * An https server (BENCH_BASE_URL) is measured with fetch throughout.
 */
async function latency(mode) {
  const viaFetch = mode === "fetch" || !BASE.startsWith("http:");
  const request = viaFetch ? call : httpJson;
  const lats = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    let r;
    if (mode === "one") {
      const res = await request("POST", "/v1/tasks/demo.noop?wait=10", {});
      // 200: the handle plus its `result` within the wait; 202: not ready in time, the handle alone.
      if (res.status === 200) r = res.json.result;
      else r = await waitResult(must(res, 202, "send").id, 30_000, 10);
    } else {
      const h = must(await request("POST", "/v1/tasks/demo.noop", {}), 202, "send");
      r = must(await request("GET", `/v1/results/${encodeURIComponent(h.id)}?wait=10`), 200, "result");
      if (!READY.has(r.state)) r = await waitResult(h.id, 30_000, 10);
    }
    if (r.state !== "SUCCESS") throw new Error(`latency task: ${r.state}`);
    lats.push(performance.now() - s);
  }
  lats.sort((a, b) => a - b);
  return { p50: +lats[L >> 1].toFixed(2), p99: +lats[Math.floor(L * 0.99)].toFixed(2) };
}

const out = {
  system: "edgery",
  N,
  C,
  enqueue_per_s: null,
  end_to_end_per_s: null,
  fanin_K: K,
  fanin_ms: null,
  fanin_result: null,
  fanin_10000_ms: null,
  latency_p50_ms: null,
  latency_p99_ms: null,
  groups_end_to_end_per_s: null,
  direct_broker_end_to_end_per_s: null,
  results_1000_kv_ms: null,
  results_1000_d1_ms: null,
  results_20_r2_2mb_ms: null,
};
if (K2 !== 10000) out.fanin_K2 = K2;

async function main() {
  let server = null;
  if (process.env.BENCH_BASE_URL) {
    BASE = process.env.BENCH_BASE_URL.replace(/\/+$/, "");
  } else {
    // State in memory where the machine has tmpfs, as the peers run Redis without persistence
    // (save '' / appendonly no): the bench measures edgery, not the disk's fsync.
    const stateRoot = process.env.EDGERY_BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
    server = await startDevServer({ label: "bench", logLevel: process.env.BENCH_LOG_LEVEL || "warn", stateRoot, log });
    for (const s of ["SIGINT", "SIGTERM"]) process.once(s, () => void server?.stop().then(() => process.exit(130)));
    BASE = server.baseUrl;
    out.dev_server = devServerKind();
  }
  try {
    // Warm-up: one round trip, then WARM tasks through the measured path, so that start-up
    // (bundle load, Durable Object creation, the JIT) is not measured: a queue is a long-running
    // server. Counted in the JSON as warmup_tasks.
    try {
      const h = must(await call("POST", "/v1/tasks/demo.noop", {}), 202, "warm-up");
      await waitResult(h.id, 60_000);
      if (WARM > 0) await throughput(WARM);
      out.warmup_tasks = WARM;
    } catch (e) {
      log(`warm-up failed: ${e.message}`);
    }

    try {
      log(`throughput: ${N} demo.noop in bulks of ${BULK}, ${C} in flight`);
      Object.assign(out, await throughput(N));
    } catch (e) {
      log(`throughput failed: ${e.message}`);
      if (e.enqueue_per_s) out.enqueue_per_s = e.enqueue_per_s;
    }
    try {
      log(`fan-in: chord of ${K}`);
      const f = await fanin(K);
      out.fanin_ms = f.ms;
      out.fanin_result = f.result;
    } catch (e) {
      log(`fan-in ${K} failed: ${e.message}`);
    }
    try {
      log(`fan-in: chord of ${K2}`);
      out.fanin_10000_ms = (await fanin(K2)).ms;
    } catch (e) {
      log(`fan-in ${K2} failed: ${e.message}`);
    }
    try {
      log(`latency: ${L} sequential round trips each: one request (POST ?wait), two (POST, GET ?wait), two with fetch`);
      const one = await latency("one");
      out.latency_p50_ms = one.p50;
      out.latency_p99_ms = one.p99;
      const two = await latency("two");
      out.latency_two_request_p50_ms = two.p50;
      out.latency_two_request_p99_ms = two.p99;
      const f = await latency("fetch");
      out.latency_fetch_p50_ms = f.p50;
      out.latency_fetch_p99_ms = f.p99;
    } catch (e) {
      log(`latency failed: ${e.message}`);
    }
    if (!process.env.BENCH_SKIP_EXTRA) {
      try {
        log(`brokers: ${N} tasks as groups, durable-object (demo.noop) then cloudflare-queue (direct.noop)`);
        out.groups_end_to_end_per_s = await groupsThroughput("demo.noop");
        out.direct_broker_end_to_end_per_s = await groupsThroughput("direct.noop");
      } catch (e) {
        log(`brokers failed: ${e.message}`);
      }
      try {
        log("result backends: 1,000 kv, 1,000 d1, 20 × 2 MB r2");
        out.results_1000_kv_ms = await backendRoundTrip("demo.identity", 1000, (i) => i, (r) => typeof r.result === "number");
        out.results_1000_d1_ms = await backendRoundTrip("demo.persist", 1000, (i) => i, (r) => typeof r.result === "number");
        out.results_20_r2_2mb_ms = await backendRoundTrip("demo.blob", 20, () => 2_000_000, (r) => r.result.length === 2_000_000);
      } catch (e) {
        log(`result backends failed: ${e.message}`);
      }
    }
  } finally {
    if (server) {
      await server.stop();
      log(`dev server stopped (log kept: ${server.logFile})`);
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`fatal: ${e?.stack ?? e}`);
    out.error = String(e?.message ?? e).split("\n")[0];
    process.stdout.write(JSON.stringify(out) + "\n");
    process.exit(1);
  },
);
