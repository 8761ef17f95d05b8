#!/usr/bin/env node
// Where a chord's time goes: R chords of K `demo.identity(1)` with body `demo.xsum`, each sent as
// one `POST /v1/apply` and waited for (`GET /v1/results/:id?wait=`), against a running server.
// After each, the members' and the body's results give the phases, in ms from the send:
// `post` (the apply answered), `first_start` / `last_done` (the header's first `started_at`,
// last `date_done`), `body_start`, `body_done`, `seen` (the client read the body's result).
// `last_done` → `body_start` is the join: the members' settles, their results and chord reports
// carried out by the queue's outbox, the ChordDO's firing, the body's enqueue and dispatch.
// A diagnostic, not a bench number: the member reads after each chord are not timed.
//
//   npm run dev    # elsewhere; then
//   BENCH_BASE_URL=http://127.0.0.1:8787 node bench/chord-phases.mjs
//
// Env: K (1000), R (5), BENCH_TOKEN (dev-token). Prints one JSON line per chord.
import { apiClient } from "./http.mjs";

const BASE = (process.env.BENCH_BASE_URL ?? "").replace(/\/+$/, "");
if (!BASE) {
  console.error("chord-phases: set BENCH_BASE_URL to a running server (see the comment at the top)");
  process.exit(2);
}
const K = Number(process.env.K || 1000);
const R = Number(process.env.R || 5);
const call = apiClient({ base: () => BASE, token: process.env.BENCH_TOKEN || "dev-token" }).json;
const READY = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
const ms = (iso) => Date.parse(iso);

for (let i = 0; i < R; i++) {
  const chord = {
    task: "celery.chord",
    subtask_type: "chord",
    kwargs: { header: Array.from({ length: K }, () => ({ task: "demo.identity", args: [1] })), body: { task: "demo.xsum" } },
  };
  const t0 = Date.now();
  const handle = await call("POST", "/v1/apply", chord);
  const post = Date.now() - t0;
  let body;
  do body = await call("GET", `/v1/results/${handle.id}?wait=30`);
  while (!READY.has(body.state));
  const seen = Date.now() - t0;
  if (body.state !== "SUCCESS" || body.result !== K) throw new Error(`chord ${handle.id}: ${body.state} ${JSON.stringify(body.result ?? body.error)}`);
  // The header's members, read 20 at a time.
  const ids = handle.parent.results.map((h) => h.id);
  let firstStart = Infinity;
  let lastDone = 0;
  for (let j = 0; j < ids.length; j += 20) {
    const members = await Promise.all(ids.slice(j, j + 20).map((id) => call("GET", `/v1/results/${id}`)));
    for (const m of members) {
      if (m.started_at) firstStart = Math.min(firstStart, ms(m.started_at));
      lastDone = Math.max(lastDone, ms(m.date_done));
    }
  }
  console.log(
    JSON.stringify({
      k: K,
      post,
      first_start: firstStart - t0,
      last_done: lastDone - t0,
      body_start: ms(body.started_at) - t0,
      body_done: ms(body.date_done) - t0,
      seen,
    }),
  );
}
