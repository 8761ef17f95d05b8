// The fault harness: runs the workload of workload.mjs under one fault against a dev server
// (scripts/dev-server.mjs) and counts, per fault, what was sent, completed, lost and duplicated.
// Everything goes through the public HTTP API; the dev-only hooks (src/runtime/chaos.ts) are
// EDGERY_CHAOS_DUPLICATE (every delivery processed twice at once) and EDGERY_CHAOS_SLOW_RESULTS_MS
// (every result write delayed). Used by scripts/chaos/run.mjs
// (`npm run chaos`) and, reduced, by test/e2e/chaos.test.ts.
import { isDeepStrictEqual } from "node:util";
import { startDevServer } from "../dev-server.mjs";
import { buildWorkload, slices } from "./workload.mjs";

const TOKEN = "dev-token";
/** How often the restart fault starts a killed server again before the harness gives up. */
const RESTART_ATTEMPTS = 3;
/** How often a refused bulk is sent again before the harness gives up. */
const MAX_SEND_ATTEMPTS = 600;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** How long, after the queue is empty, a result not yet final is read again before it counts as lost. */
const RESULT_SETTLE_MS = 60_000;
/** The states a result ends in. */
const FINAL_STATES = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

/** How often a read (GET) that got no answer is tried again before `call` reports status 0. */
const READ_ATTEMPTS = 5;

/**
 * One JSON call; `status` 0 when the server did not answer. A write (POST, PUT) goes on a
 * connection of its own: under load, workerd reset keep-alive connections that Node's fetch
 * reused after a request of several seconds (bulks of 500 failed with ECONNRESET while the server
 * went on applying them), which leaves the client not knowing whether the write happened. A read
 * that gets no answer is simply sent again.
 */
export async function call(baseUrl, method, path, body) {
  for (let attempt = 1; ; attempt++) {
    const r = await callOnce(baseUrl, method, path, body);
    if (r.status !== 0 || method !== "GET" || attempt >= READ_ATTEMPTS) return r;
    await sleep(200 * attempt);
  }
}

async function callOnce(baseUrl, method, path, body) {
  try {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(method === "GET" ? {} : { connection: "close" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, retryAfter: Number(res.headers.get("retry-after") ?? 0) };
  } catch (e) {
    return { status: 0, json: undefined, text: String(e?.cause?.code ?? e), retryAfter: 0 };
  }
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pool(items, limit, fn) {
  let next = 0;
  const out = new Array(items.length);
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function stats(baseUrl, queue) {
  const r = await call(baseUrl, "GET", `/v1/queues/${queue}`);
  if (r.status !== 200) throw new Error(`GET /v1/queues/${queue}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

/**
 * Counts `task-succeeded` events per task id from GET /v1/events until `close()`. A stream that
 * ends early (server killed) is opened again by `reopen(baseUrl)`; `complete` says whether the
 * count covers the whole run (no gap).
 */
function eventCounter(baseUrl) {
  const counts = new Map();
  const ctl = { complete: true, aborts: [] };
  const open = async (url) => {
    const abort = new AbortController();
    ctl.aborts.push(abort);
    let res;
    try {
      res = await fetch(url + "/v1/events", { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
    } catch {
      ctl.complete = false;
      return;
    }
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let event = "";
    const done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:") && event === "task-succeeded") {
              try {
                const id = JSON.parse(line.slice(5)).id;
                counts.set(id, (counts.get(id) ?? 0) + 1);
              } catch {
                /* a frame we cannot read is not a count */
              }
            } else if (line === "") event = "";
          }
        }
      } catch {
        /* aborted or the server went away */
      }
      if (!abort.signal.aborted) ctl.complete = false;
    })();
    ctl.done = done;
  };
  return {
    ready: open(baseUrl).then(() => sleep(300)),
    reopen: (url) => open(url).then(() => sleep(300)),
    close: () => ctl.aborts.forEach((a) => a.abort()),
    counts,
    get complete() {
      return ctl.complete;
    },
  };
}

/**
 * True for an answer that is not the API's: no answer at all (connection refused or reset) or
 * a non-JSON 5xx from the dev server around a restart ("503 Your worker restarted mid-request").
 */
const notTheApi = (r) => r.status === 0 || (r.status >= 500 && r.json?.error === undefined);

/**
 * Sends bulks (at most `per` signatures each, `inFlight` at once). A 503 `overloaded` bulk is
 * sent again after its Retry-After until accepted; its ids are checked to read PENDING first
 * (nothing of a refused request is kept). A bulk that got no answer from the API (see
 * `notTheApi`) is sent again as it was, after a short pause, and counted as resent: its task ids
 * are fixed, and the queue skips an id it already holds. `between(i)` runs before bulk i (the
 * restart fault).
 */
async function sendAll(ctx, signatures, { per = 500, inFlight = 2, between, onRefused } = {}) {
  const bulks = slices(signatures, per);
  let refused = 0;
  let keptAfterRefusal = 0;
  let resent = 0;
  /** What the first resent bulks got instead of an answer. */
  const resentWhy = [];
  let i = 0;
  const one = async (bulk) => {
    for (let attempt = 0; ; attempt++) {
      const r = await call(ctx.baseUrl(), "POST", "/v1/apply/bulk", { signatures: bulk });
      if (r.status === 202) return;
      if (notTheApi(r) && attempt < MAX_SEND_ATTEMPTS) {
        resent += 1;
        if (resentWhy.length < 5) resentWhy.push(`${r.status} ${r.text.slice(0, 80)}`);
        await sleep(1000);
        continue;
      }
      if (r.status === 503 && r.json?.error?.code === "overloaded" && attempt < MAX_SEND_ATTEMPTS) {
        refused += 1;
        await onRefused?.();
        const ids = bulk.flatMap(idsOf);
        const reads = await pool(ids, 16, (id) => call(ctx.baseUrl(), "GET", `/v1/results/${id}`));
        keptAfterRefusal += reads.filter((x) => x.json?.state !== "PENDING").length;
        await sleep(Math.max(1, r.retryAfter) * 1000);
        continue;
      }
      throw new Error(`POST /v1/apply/bulk: ${r.status} ${r.text.slice(0, 300)}`);
    }
  };
  if (between) {
    for (const bulk of bulks) {
      await between(i++);
      await one(bulk);
    }
  } else {
    await pool(bulks, inFlight, one);
  }
  return { refused, keptAfterRefusal, resent, resentWhy };
}

/** Every task_id a signature of the workload names. */
function idsOf(s) {
  const own = s.options?.task_id ? [s.options.task_id] : [];
  const links = (s.options?.link ?? []).flatMap(idsOf);
  const canvas = s.task === "celery.chord" ? [...s.kwargs.header.flatMap(idsOf), ...idsOf(s.kwargs.body)] : [];
  return [...own, ...links, ...canvas];
}

/** Waits until the queue holds nothing (twice in a row) or `waitMs` passes. */
async function drain(ctx, queue, waitMs) {
  const deadline = Date.now() + waitMs;
  let empty = 0;
  while (Date.now() < deadline) {
    const s = await stats(ctx.baseUrl(), queue).catch(() => null);
    if (s && s.waiting + s.delayed + s.leased === 0) {
      if (++empty >= 2) return true;
    } else empty = 0;
    await sleep(500);
  }
  return false;
}

/**
 * Runs the workload on a fresh queue under one fault and judges every id once.
 * @param {{ name: string, n: number, waitMs: number, ctx: { baseUrl: () => string, restart?: () => Promise<void>, killMidTask?: boolean },
 *           queueSettings?: Record<string, unknown>, sleepMs?: number, allLate?: boolean, restartAt?: number, per?: number, inFlight?: number, events?: boolean }} o
 */
export async function runFault(o) {
  const t0 = Date.now();
  const queue = `chaos-${o.name}-${Date.now().toString(36)}`;
  const ctx = o.ctx;
  const put = await call(ctx.baseUrl(), "PUT", `/v1/queues/${queue}`, o.queueSettings ?? { concurrency: 1000 });
  if (put.status !== 200) throw new Error(`PUT /v1/queues/${queue}: ${put.status} ${put.text}`);
  const { signatures, expected } = buildWorkload({ queue, n: o.n, prefix: queue, sleepMs: o.sleepMs ?? 0, allLate: o.allLate ?? false });
  const events = o.events ? eventCounter(ctx.baseUrl()) : null;
  if (events) await events.ready;
  const before = (await stats(ctx.baseUrl(), queue)).completed;
  const bulks = Math.ceil(signatures.length / (o.per ?? 500));
  const restartAt = o.restartAt ?? -1;
  /** The kill-mid-task fault: the tasks running when the server was killed, and when. */
  const killed = { ids: [], at: 0, watch: null };
  const between =
    restartAt >= 0
      ? async (i) => {
          if (i !== Math.floor(bulks * restartAt)) return;
          if (o.killMidTask) {
            // Wait until tasks are running (leased and begun), then kill their consumers with the server.
            const until = Date.now() + 30_000;
            while (Date.now() < until && (await stats(ctx.baseUrl(), queue)).leased === 0) await sleep(100);
            const active = await call(ctx.baseUrl(), "GET", `/v1/inspect/active?queue=${queue}&limit=1000`);
            killed.ids = (active.json?.tasks ?? []).map((t) => t.id);
            killed.at = Date.now();
          }
          await ctx.restart();
          if (killed.ids.length > 0) killed.watch = watchRedelivery(ctx, killed);
          if (events) await events.reopen(ctx.baseUrl());
        }
      : undefined;
  // A queue that starts paused fills up for sure; it is resumed at the first 503.
  let resumed = false;
  const onRefused = o.queueSettings?.paused
    ? async () => {
        if (resumed) return;
        resumed = true;
        await call(ctx.baseUrl(), "PUT", `/v1/queues/${queue}`, { paused: false });
      }
    : undefined;
  const sent = await sendAll(ctx, signatures, { per: o.per, inFlight: o.inFlight, between, onRefused });
  if (o.queueSettings?.paused && !resumed) await call(ctx.baseUrl(), "PUT", `/v1/queues/${queue}`, { paused: false });
  if (restartAt >= 0 && Math.floor(bulks * restartAt) >= bulks) {
    await between(Math.floor(bulks * restartAt));
  }
  const drained = await drain(ctx, queue, o.waitMs);
  const redelivery = killed.watch ? await killed.watch : null;
  const ids = [...expected.keys()];
  const reads = await pool(ids, 32, (id) => call(ctx.baseUrl(), "GET", `/v1/results/${id}`));
  // An empty queue can still have result writes on their way (its outbox, a chord body applied
  // elsewhere): an id not yet final is read again, for at most RESULT_SETTLE_MS, before it counts.
  const settleBy = Date.now() + RESULT_SETTLE_MS;
  for (;;) {
    const open = ids.map((id, i) => [id, i]).filter(([, i]) => !FINAL_STATES.has(reads[i].json?.state));
    if (open.length === 0 || Date.now() >= settleBy) break;
    await sleep(500);
    const again = await pool(open, 32, ([id]) => call(ctx.baseUrl(), "GET", `/v1/results/${id}`));
    open.forEach(([, i], k) => (reads[i] = again[k]));
  }
  let completed = 0;
  const wrong = [];
  reads.forEach((r, i) => {
    const id = ids[i];
    if (r.json?.state === "SUCCESS" && isDeepStrictEqual(r.json.result, expected.get(id))) completed += 1;
    else if (wrong.length < 5) wrong.push(`${id}: ${r.json?.state ?? r.status} ${JSON.stringify(r.json?.result ?? r.json?.error ?? null)}`);
  });
  const after = await stats(ctx.baseUrl(), queue);
  let dupEvents = null;
  if (events) {
    await sleep(500);
    events.close();
    if (events.complete) dupEvents = ids.reduce((s, id) => s + Math.max(0, (events.counts.get(id) ?? 0) - 1), 0);
  }
  return {
    fault: o.name,
    sent: expected.size,
    completed,
    lost: expected.size - completed,
    // Each id's SUCCESS settles once: more successes on the queue than ids is a duplicate.
    duplicated: Math.max(0, after.completed - before - completed),
    dupEvents,
    refused: sent.refused,
    keptAfterRefusal: sent.keptAfterRefusal,
    resent: sent.resent,
    ...(sent.resentWhy.length > 0 ? { resentWhy: sent.resentWhy } : {}),
    drained,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    examples: wrong,
    stats: after,
    ...(redelivery ? { killedRunning: killed.ids.length, ...redelivery } : {}),
  };
}

const READY = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

/**
 * The kill-mid-task fault: polls the results of the tasks that were running when the server was
 * killed until each is ready (SUCCESS once redelivered after its lease ran out and run again) or
 * 10 minutes pass; answers how many ended SUCCESS and the longest time from the kill to an end.
 */
async function watchRedelivery(ctx, killed) {
  const left = new Set(killed.ids);
  let succeeded = 0;
  let slowestS = 0;
  const until = killed.at + 600_000;
  while (left.size > 0 && Date.now() < until) {
    const ids = [...left];
    const reads = await pool(ids, 16, (id) => call(ctx.baseUrl(), "GET", `/v1/results/${id}`));
    reads.forEach((r, i) => {
      if (!READY.has(r.json?.state)) return;
      left.delete(ids[i]);
      if (r.json.state === "SUCCESS") succeeded += 1;
      slowestS = Math.max(slowestS, Math.round((Date.now() - killed.at) / 100) / 10);
    });
    if (left.size > 0) await sleep(500);
  }
  return { killedSucceeded: succeeded, killedNotEnded: left.size, killedSlowestS: slowestS };
}

/** How long one demo.add takes from its apply to its result (shows that a delay hook acts). */
export async function oneTaskMs(baseUrl) {
  const t0 = Date.now();
  const r = await call(baseUrl, "POST", "/v1/tasks/demo.add", { args: [1, 2] });
  if (r.status !== 202) throw new Error(`POST /v1/tasks/demo.add: ${r.status} ${r.text.slice(0, 300)}`);
  const done = await call(baseUrl, "GET", `/v1/results/${r.json.id}?wait=30`);
  if (done.json?.state !== "SUCCESS") throw new Error(`demo.add ${r.json.id}: ${done.status} ${done.text.slice(0, 300)}`);
  return Date.now() - t0;
}

/**
 * A dev server the harness may crash and start again on the same port and state.
 * @param {{ label: string, vars?: Record<string, string>, log?: (l: string) => void }} o
 */
export async function crashableServer(o) {
  let server = await startDevServer({ label: o.label, vars: o.vars, log: o.log });
  const { persistDir, port } = server;
  return {
    baseUrl: () => server.baseUrl,
    /** SIGKILL the whole process group (wrangler, workerd: every consumer with it), then start again. */
    restart: async () => {
      await server.kill();
      // A start on a state with thousands of queued tasks is under load at once: a start that
      // fails (the dev server exited before it was healthy) is tried again on the same state.
      for (let attempt = 1; ; attempt++) {
        try {
          server = await startDevServer({ label: o.label, vars: o.vars, log: o.log, persistDir, port });
          return;
        } catch (err) {
          if (attempt >= RESTART_ATTEMPTS) throw err;
          o.log?.(`restart failed (${String(err?.message ?? err).split("\n")[0]}); starting again`);
        }
      }
    },
    stop: async () => {
      await server.stop();
      const { rmSync } = await import("node:fs");
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

/** The table the issue asks for: one row per fault. */
export function formatTable(rows) {
  const head = ["fault", "sent", "completed", "lost", "duplicated", "dup (events)", "503 refused", "kept after 503", "bulks resent", "seconds"];
  const body = rows.map((r) =>
    r.skipped
      ? [r.fault, "-", "-", "-", "-", "-", "-", "-", "-", `skipped: ${r.skipped}`]
      : [r.fault, r.sent, r.completed, r.lost, r.duplicated, r.dupEvents ?? "n/a", r.refused, r.keptAfterRefusal, r.resent, r.seconds].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => "| " + cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  return [line(head), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...body.map(line)].join("\n");
}
