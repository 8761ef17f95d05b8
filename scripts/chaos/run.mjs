// `npm run chaos`: the fault harness. Starts its own dev servers (scripts/dev-server.mjs: Miniflare,
// or wrangler dev with EDGERY_DEV_SERVER=wrangler; fresh state),
// runs the workload (scripts/chaos/workload.mjs: plain tasks, chords, link callbacks, countdowns,
// retries, late acks) under each fault and prints one table row per fault: sent, completed,
// lost, duplicated. Knobs (env): CHAOS_N (tasks per fault, 20000), CHAOS_WAIT_S (how long a
// fault's queue may take to drain after the last send before what is missing counts as lost,
// 180), CHAOS_FAULTS (comma-separated subset of: none, duplicate, restart, kill-mid-task,
// full-queue, slow-backend), CHAOS_SLOW_MS (the slow-backend fault's delay before every result
// write, 1000).
import { crashableServer, formatTable, oneTaskMs, runFault } from "./harness.mjs";

const N = Number(process.env.CHAOS_N ?? 20_000);
const WAIT_MS = Number(process.env.CHAOS_WAIT_S ?? 180) * 1000;
const ALL = ["none", "duplicate", "restart", "kill-mid-task", "full-queue", "slow-backend"];
const wanted = (process.env.CHAOS_FAULTS ?? ALL.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
const log = (l) => process.stderr.write(`[chaos] ${l}\n`);
/** The slow-backend fault's delay before every result write (ms). */
const SLOW_RESULTS_MS = Number(process.env.CHAOS_SLOW_MS ?? 1000);

/**
 * The full-queue fault's settings: bulks of 20 signatures (34 tasks) against max_waiting 100 on a
 * queue that starts paused (so it fills for sure) and is resumed at the first 503. (Concurrency 5
 * drained about 4 tasks/s here: 20,000 would not fit a bounded run.)
 */
const FULL_QUEUE = { queueSettings: { concurrency: 50, max_waiting: 100, paused: true }, per: 20, inFlight: 6 };

const rows = [];
const servers = new Set();
// One server at a time: a second `wrangler dev` of the same Workers next to the first did not
// get healthy here. Each fault gets a fresh one (fresh state), stopped after the fault.
let current = null;
async function server(label, vars) {
  if (current) await current.stop();
  servers.delete(current);
  current = await crashableServer({ label, vars, log });
  servers.add(current);
  return current;
}
const plainServer = () => server("chaos");
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    process.exit(130);
  });
}

try {
  for (const fault of wanted) {
    log(`fault ${fault}: ${N} tasks`);
    let row;
    try {
    switch (fault) {
      case "none":
        row = await runFault({ name: "none", n: N, waitMs: WAIT_MS, ctx: await plainServer(), events: true });
        break;
      case "duplicate": {
        // Every delivery processed twice at once (EDGERY_CHAOS_DUPLICATE, dev only).
        const s = await server("chaos-dup", { EDGERY_CHAOS_DUPLICATE: "true" });
        row = await runFault({ name: "duplicate", n: N, waitMs: WAIT_MS, ctx: s, events: true });
        break;
      }
      case "restart":
        // The server (and every consumer in it) SIGKILLed halfway through the sends, restarted on its
        // state. Every task is acks_late: an early-ack task that had begun when its consumer died
        // ends FAILURE WorkerLostError by design (Celery's early ack), which is not a loss to count.
        row = await runFault({ name: "restart", n: N, waitMs: WAIT_MS, ctx: await plainServer(), restartAt: 0.5, per: 500, allLate: true });
        break;
      case "kill-mid-task":
        // Late-ack demo.sleep tasks running when the server is killed; restarted on its state.
        // Every task of this workload is acks_late: a task lost with its consumer is delivered
        // again (an early-ack one ends FAILURE WorkerLostError by design: at most once).
        row = await runFault({ name: "kill-mid-task", n: Math.min(N, 2000), waitMs: WAIT_MS, ctx: await plainServer(), restartAt: 0.5, per: 100, sleepMs: 3000, allLate: true, killMidTask: true });
        break;
      case "full-queue":
        // max_waiting far below the workload, a slow drain: senders get 503 overloaded and send again after Retry-After.
        row = await runFault({ name: "full-queue", n: N, waitMs: WAIT_MS, ctx: await plainServer(), ...FULL_QUEUE });
        break;
      case "slow-backend": {
        // Every result write waits SLOW_RESULTS_MS first (EDGERY_CHAOS_SLOW_RESULTS_MS, dev only).
        const s = await server("chaos-slow", { EDGERY_CHAOS_SLOW_RESULTS_MS: String(SLOW_RESULTS_MS) });
        log(`slow-backend: one task took ${await oneTaskMs(s.baseUrl())} ms from apply to its result (writes wait ${SLOW_RESULTS_MS} ms)`);
        row = await runFault({ name: "slow-backend", n: N, waitMs: WAIT_MS, ctx: s, events: true });
        break;
      }
      default:
        throw new Error(`unknown fault ${fault} (known: ${ALL.join(", ")})`);
    }
    } catch (err) {
      // A fault that stops the harness itself is a row too, not a lost table.
      log(`${fault}: harness error: ${err?.stack ?? err}`);
      row = { fault, skipped: `harness error: ${String(err?.message ?? err).slice(0, 120)}`, error: true };
    }
    rows.push(row);
    if (row.examples?.length) log(`${fault}: first missing/wrong: ${row.examples.join("; ")}`);
    log(`${fault}: ${JSON.stringify({ ...row, examples: undefined })}`);
  }
} finally {
  for (const s of servers) await s.stop().catch(() => undefined);
}
process.stdout.write(formatTable(rows) + "\n");
process.exitCode = rows.some((r) => r.error || (!r.skipped && (r.lost > 0 || r.duplicated > 0 || r.dupEvents > 0 || r.keptAfterRefusal > 0))) ? 1 : 0;
