// What a Durable Object's SQLite write costs by where it runs: alone in its own turn of the event
// loop (what a single-task RPC to a QueueDO or ResultDO does), or after another write in the same
// turn (what a batch does). A diagnostic for why one task's round trip costs what it does; not a
// bench number. Runs a scratch Durable Object with the QueueDO's schema under Miniflare, its state
// in STATE_DIR (default: a fresh directory under /dev/shm when there is one, so that the disk's
// fsync does not count), and prints one JSON line per round, in µs per operation:
//
//   turn_empty      a turn that does nothing (a setTimeout(0) hop)
//   turn_write      a turn with one transaction inserting one message row
//   same_turn_write one more such transaction in a turn that already wrote
//   rpc_empty       an RPC to the object that does nothing
//   rpc_write       an RPC that inserts one message row in a transaction
//   rpc_read        an RPC that reads one count
//
//   node bench/sql-turns.mjs            (ROUNDS=3, N=1000 operations of each kind a round)
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const N = Number(process.env.N ?? 1000);
const schemaSource = readFileSync(new URL("../durable-objects/queue-schema.ts", import.meta.url), "utf8");
const schema = /QUEUE_SCHEMA = `([\s\S]*?)`/.exec(schemaSource)?.[1];
if (!schema) throw new Error("QUEUE_SCHEMA not found in durable-objects/queue-schema.ts");

const script = `
import { DurableObject } from "cloudflare:workers";
const INSERT = "INSERT INTO messages (id, priority, state, body) VALUES (?, 0, 'waiting', ?) RETURNING seq";
const BODY = JSON.stringify({ id: "x", task: "demo.noop", args: [], kwargs: {}, options: { queue: "default" } });
const hop = () => new Promise((resolve) => setTimeout(resolve, 0));
export class Probe extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(${JSON.stringify(schema)});
  }
  write() { this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec(INSERT, crypto.randomUUID(), BODY).toArray()); }
  read() { return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM messages WHERE state = 'leased'").one().n; }
  nothing() { return 0; }
  async turns(n, what) {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      if (what === "write") this.write();
      await hop();
    }
    return ((performance.now() - start) * 1000) / n;
  }
  sameTurn(n) {
    this.write();
    const start = performance.now();
    for (let i = 0; i < n; i++) this.write();
    return ((performance.now() - start) * 1000) / n;
  }
  clear() { this.ctx.storage.sql.exec("DELETE FROM messages"); }
}
export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get("n"));
    const probe = env.PROBE.get(env.PROBE.idFromName("probe"));
    const rpc = async (method) => { const start = performance.now(); for (let i = 0; i < n; i++) await probe[method](); return ((performance.now() - start) * 1000) / n; };
    const out = {};
    out.turn_empty = await probe.turns(n, "none");
    out.turn_write = await probe.turns(n, "write");
    out.same_turn_write = await probe.sameTurn(n);
    out.rpc_empty = await rpc("nothing");
    out.rpc_write = await rpc("write");
    out.rpc_read = await rpc("read");
    await probe.clear();
    return Response.json(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)])));
  },
};`;

const root = process.env.STATE_DIR ?? mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "edgery-sql-turns-"));
const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: "2025-09-01",
  durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
  defaultPersistRoot: root,
  durableObjectsPersist: true,
});
try {
  for (let r = 0; r < ROUNDS; r++) console.log(await (await mf.dispatchFetch(`http://probe/?n=${N}`)).text());
} finally {
  await mf.dispose();
  if (!process.env.STATE_DIR) rmSync(root, { recursive: true, force: true });
}
