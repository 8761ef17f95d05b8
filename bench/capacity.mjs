#!/usr/bin/env node
// edgery's capacity model (npm run bench:capacity): how many tasks/s one logical queue takes when
// deployed, projected from what each Durable Object takes per task, measured locally.
//
// A Durable Object serves about RATE (1,000) requests/s. Every object counts its requests
// (durable-objects/counted-object.ts). For each shard count N, this drives single-task sends
// (POST /v1/tasks/demo.noop, C in flight) and bulk sends (POST /v1/apply/bulk, 1,000 a request)
// through queue `cap-<N>` of the bench Worker (bench/capacity/worker.ts, N QueueDO shards), runs
// them to the end (the real consumer: begin, run, settle, result writes), reads every object's
// count before, during and after, and divides: requests per task of each object. The busiest
// object sets the queue's ceiling: projected tasks/s = RATE / (its requests per task). The API
// Worker and the consumer Worker are stateless (they scale out), so the objects are the limit
// this models.
//
// The drain is watched through GET /v1/queues/cap-<N>: each poll costs every shard one request,
// which is counted and taken off (`polls`). The counts are read every 2 s during a run, so that
// an object evicted meanwhile (its count starts again at 0) is seen, not taken for negative.
// Prints ONE JSON line to stdout; progress to stderr.
//
// Env: SINGLE (single sends per N, 2000), BULK (bulk-sent tasks per N, 20000), C (single sends
//      in flight, 16), CB (bulk requests in flight, 4), SHARDS (the N measured, "1,4,16"),
//      TARGET (tasks/s the queue must take, 100000), RATE (requests/s per object, 1000),
//      BENCH_LOG_LEVEL (the server's --log-level, warn).
import { tmpdir } from "node:os";
import { startDevServer } from "../scripts/dev-server.mjs";

const SINGLE = Number(process.env.SINGLE || 2000);
const BULK_TASKS = Number(process.env.BULK || 20000);
const C = Number(process.env.C || 16);
const CB = Number(process.env.CB || 4);
const SHARDS = (process.env.SHARDS || "1,4,16").split(",").map(Number);
const TARGET = Number(process.env.TARGET || 100_000);
const RATE = Number(process.env.RATE || 1000);
/** The shard counts the bench Worker configures (bench/capacity/worker.ts). */
const CONFIGURED = [1, 4, 16, 128, 256];
const PER_BULK = 1000;
const TOKEN = "dev-token";
const DRAIN_TIMEOUT_MS = 600_000;
/** How often the objects' counts are read during a run (see watchCounts). */
const SAMPLE_MS = 2000;

const log = (...a) => process.stderr.write(`[capacity] ${a.join(" ")}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let BASE = "";

/**
 * Calls whose connection was closed under them and that were sent again (reported as
 * `resent`): the local server sometimes closes a kept-alive connection as it is reused. A resent
 * send may have been taken the first time too: each run counts from the queue's own `completed`.
 */
let resent = 0;

/** One API call; retries on 503 `overloaded` after Retry-After, and on a closed connection. */
async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await fetch(BASE + path, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const code = err?.cause?.code;
      if ((code === "ECONNRESET" || code === "UND_ERR_SOCKET") && attempt < 5) {
        resent += 1;
        log(`${method} ${path}: connection closed (${code}); sent again`);
        await sleep(1000);
        continue;
      }
      throw err;
    }
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (res.status === 503 && json?.error?.code === "overloaded" && attempt < 100) {
      await sleep((Number(res.headers.get("retry-after")) || 1) * 1000);
      continue;
    }
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return json;
  }
}

/** Every object's request count (not counted itself), by "Class object". */
async function counts(queue) {
  const objects = await call("GET", `/capacity/objects?queue=${queue}`);
  return new Map(objects.map((o) => [`${o.class} ${o.object}`, o.requests]));
}

/** Counts read until two reads 300 ms apart agree (the last result writes land after settle). */
async function settledCounts(queue) {
  let last = await counts(queue);
  for (;;) {
    await sleep(300);
    const now = await counts(queue);
    if ([...now].every(([k, v]) => last.get(k) === v)) return now;
    last = now;
  }
}

/**
 * The requests each object takes while a run goes on, read every SAMPLE_MS. A count lives in the
 * object's memory and starts again at 0 when the object is evicted (an idle object is, after some
 * seconds; at large N and a slow local rate a shard idles between its tasks). The reads keep the
 * objects awake, and a count lower than the last read is taken as a restart: what it shows is
 * what the object took since. `restarts` says how many were seen (each may lose the requests
 * between the read before it and the eviction).
 */
function watchCounts(queue, start) {
  const took = new Map();
  let last = start;
  let restarts = 0;
  const add = (now) => {
    for (const [k, v] of now) {
      const prev = last.get(k) ?? 0;
      if (v < prev) restarts += 1;
      took.set(k, (took.get(k) ?? 0) + (v >= prev ? v - prev : v));
    }
    last = now;
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      await sleep(SAMPLE_MS);
      // A read that fails is skipped: the next one covers its interval.
      if (running) await counts(queue).then(add, (err) => log(`reading the counts failed (${err.message}); skipped`));
    }
  })();
  return {
    /** Stops sampling and adds the settled counts; answers what each object took, and the restarts seen. */
    async stop() {
      running = false;
      await loop;
      add(await settledCounts(queue));
      return { took, restarts };
    },
  };
}

/** Sends `n` tasks to the queue: single sends, `C` in flight, or bulk, `inFlight` requests in flight. */
async function send(queue, n, mode, inFlight = mode === "single" ? C : CB) {
  const signature = { task: "demo.noop", options: { queue } };
  let left = n;
  const worker = async () => {
    while (left > 0) {
      if (mode === "single") {
        left -= 1;
        await call("POST", "/v1/tasks/demo.noop", { options: { queue } });
      } else {
        const k = Math.min(PER_BULK, left);
        left -= k;
        const res = await call("POST", "/v1/apply/bulk", { signatures: Array.from({ length: k }, () => signature) });
        if (res.handles.length !== k) throw new Error(`bulk: ${res.handles.length} handles for ${k}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Waits until the queue completed `target` tasks in all; answers how many stats polls it took. */
async function drain(queue, target) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let polls = 0;
  for (;;) {
    polls += 1;
    const s = await call("GET", `/v1/queues/${queue}`);
    if (s.completed >= target) return polls;
    if (Date.now() > deadline) throw new Error(`${queue}: ${s.completed}/${target} completed after ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(250);
  }
}

/**
 * One measured run: `n` tasks sent in `mode` through queue cap-<shards>, drained; the requests
 * each object took per task, and what that projects.
 */
async function measure(shards, mode, n) {
  const queue = `cap-${shards}`;
  // Before the counts' start: this read of every shard is not part of the run.
  const completedBefore = (await call("GET", `/v1/queues/${queue}`)).completed;
  const resentBefore = resent;
  const watch = watchCounts(queue, await settledCounts(queue));
  const t0 = performance.now();
  await send(queue, n, mode);
  const polls = await drain(queue, completedBefore + n);
  const ms = performance.now() - t0;
  const { took, restarts } = await watch.stop();
  const perTask = {};
  for (const [key, v] of took) {
    // Each drain poll read every shard's stats once: not part of the tasks' cost.
    perTask[key] = (v - (key.startsWith("QueueDO ") ? polls : 0)) / n;
  }
  const keys = Object.keys(perTask);
  const busiest = keys.reduce((a, b) => (perTask[b] > perTask[a] ? b : a));
  const sum = (prefix) => keys.filter((k) => k.startsWith(prefix)).reduce((s, k) => s + perTask[k], 0);
  const max = (prefix) => Math.max(0, ...keys.filter((k) => k.startsWith(prefix)).map((k) => perTask[k]));
  const round = (x) => Number(x.toFixed(4));
  return {
    tasks: n,
    local_tasks_per_s: Math.round((n / ms) * 1000),
    // All of a queue's shards together, and the busiest one, per task.
    queue_requests_per_task: round(sum("QueueDO ")),
    queue_shard_max_per_task: round(max("QueueDO ")),
    // The mean shard: a small sample over many shards makes the busiest one busier than a
    // long run would (hash skew shrinks as the tasks grow); the projection keeps the busiest.
    queue_shard_mean_per_task: round(sum("QueueDO ") / shards),
    result_requests_per_task: round(sum("ResultDO ")),
    result_shard_max_per_task: round(max("ResultDO ")),
    directory_per_task: round(max("DirectoryDO ")),
    busiest: busiest,
    projected_tasks_per_s: Math.round(RATE / perTask[busiest]),
    // Objects seen restarted (evicted) during the run: 0 for a clean measurement.
    restarts,
    // Calls sent again after a closed connection (see call): 0 for a clean measurement.
    resent: resent - resentBefore,
  };
}

async function main() {
  for (const n of SHARDS) if (!CONFIGURED.includes(n)) throw new Error(`SHARDS: the bench Worker configures ${CONFIGURED.join(", ")} shards, not ${n}`);
  const server = await startDevServer({ label: "capacity", script: "dev:capacity", logLevel: process.env.BENCH_LOG_LEVEL || "warn", stateRoot: tmpdir(), log });
  BASE = server.baseUrl;
  const out = { rate_per_object: RATE, target_tasks_per_s: TARGET, single: {}, bulk: {} };
  try {
    const measured = new Set();
    const run = async (shards, bulk = true) => {
      if (measured.has(shards)) return;
      measured.add(shards);
      const queue = `cap-${shards}`;
      // Warm-up (not counted): every shard created and listed, the bundle and JIT warm. One bulk
      // at a time: several creating hundreds of objects at once overwhelm local workerd.
      const warm = Math.max(200, 20 * shards);
      await send(queue, warm, "bulk", 1);
      await drain(queue, warm);
      log(`N=${shards}: ${SINGLE} single sends…`);
      out.single[shards] = await measure(shards, "single", SINGLE);
      log(`N=${shards}: single ${JSON.stringify(out.single[shards])}`);
      if (!bulk) return;
      log(`N=${shards}: ${BULK_TASKS} tasks in bulk sends…`);
      out.bulk[shards] = await measure(shards, "bulk", BULK_TASKS);
      log(`N=${shards}: bulk ${JSON.stringify(out.bulk[shards])}`);
    };
    for (const n of SHARDS) await run(n);
    // The shard count the target needs for single sends: the queue's requests per task spread
    // over N shards, each at most RATE/s. Measured at the configured count that covers it.
    const single = out.single[SHARDS.at(-1)];
    const needed = Math.ceil((TARGET * single.queue_requests_per_task) / RATE);
    const at = CONFIGURED.find((n) => n >= needed) ?? CONFIGURED.at(-1);
    // The target is about single sends: only those are measured at that shard count.
    if (!process.env.SKIP_TARGET) await run(at, false);
    const m = out.single[at];
    out.target = {
      single_sends_per_s: TARGET,
      shards_needed_for_queue_objects: needed,
      measured_shards: at,
      projected_tasks_per_s: m ? m.projected_tasks_per_s : null,
      busiest: m ? m.busiest : null,
      met: m ? m.projected_tasks_per_s >= TARGET : null,
    };
  } finally {
    await server.stop();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  log(e.stack || String(e), e.cause ? `(cause: ${e.cause.stack || e.cause})` : "");
  process.exit(1);
});
