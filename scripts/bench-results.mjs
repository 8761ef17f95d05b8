#!/usr/bin/env node
// Result backends: time to write and read back results through each backend, against a running
// `npm run dev` (EDGERY_BASE_URL, default http://127.0.0.1:8787; token dev-token).
//
//   node scripts/bench-results.mjs [N=1000] [BLOBS=20]
//
// - kv (default):  N × demo.identity(i), sent in one POST /v1/apply/bulk, each read back (?wait=30)
// - d1:            N × demo.persist(i) (backend d1, result_persistent), read back the same way,
//                  then until all N are listed by GET /v1/results?queue=… (the write-behind)
// - r2:            BLOBS × demo.blob(2_000_000), read back whole (length checked)
const BASE = process.env.EDGERY_BASE_URL ?? "http://127.0.0.1:8787";
const N = Number(process.argv[2] ?? 1000);
const BLOBS = Number(process.argv[3] ?? 20);
const H = { authorization: "Bearer dev-token", "content-type": "application/json" };

async function call(method, path, body) {
  const res = await fetch(BASE + path, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function pool(items, c, fn) {
  let i = 0;
  const out = new Array(items.length);
  await Promise.all(Array.from({ length: c }, async () => { while (i < items.length) { const k = i++; out[k] = await fn(items[k], k); } }));
  return out;
}

async function readBack(ids, check) {
  await pool(ids, 50, async (id) => {
    const r = await call("GET", `/v1/results/${id}?wait=30`);
    if (r.state !== "SUCCESS") throw new Error(`${id}: ${r.state}`);
    check?.(r);
  });
}

async function run(label, task, n, argOf, check, queue) {
  const t0 = performance.now();
  const handles = [];
  for (let k = 0; k < n; k += 1000) {
    const signatures = Array.from({ length: Math.min(1000, n - k) }, (_, j) => ({ task, args: [argOf(k + j)], kwargs: {}, options: { queue } }));
    handles.push(...(await call("POST", "/v1/apply/bulk", { signatures })).handles);
  }
  const tSent = performance.now();
  await readBack(handles.map((h) => h.id), check);
  const tRead = performance.now();
  console.log(`${label.padEnd(34)} ${String(n).padStart(5)} results: sent ${(tSent - t0).toFixed(0)} ms, all read back after ${(tRead - t0).toFixed(0)} ms (${((n * 1000) / (tRead - t0)).toFixed(0)}/s)`);
  return { t0, handles };
}

const q = (p) => `${p}-${Date.now().toString(36)}`;
const qKv = q("bench-kv"), qD1 = q("bench-d1"), qR2 = q("bench-r2");
await run("kv  demo.identity", "demo.identity", N, (i) => i, null, qKv);
const { t0 } = await run("d1  demo.persist", "demo.persist", N, (i) => i, null, qD1);
for (;;) {
  let count = 0, cursor = null;
  do {
    const page = await call("GET", `/v1/results?queue=${qD1}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    count += page.results.length;
    cursor = page.cursor;
  } while (cursor);
  if (count >= N) { console.log(`${"d1  all listed by GET /v1/results".padEnd(34)} ${String(N).padStart(5)} results: after ${(performance.now() - t0).toFixed(0)} ms`); break; }
  await new Promise((r) => setTimeout(r, 100));
}
await run("r2  demo.blob(2_000_000)", "demo.blob", BLOBS, () => 2_000_000, (r) => { if (r.result.length !== 2_000_000) throw new Error("short blob"); }, qR2);
