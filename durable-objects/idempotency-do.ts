/**
 * IdempotencyDO: the claim of one `idempotency_key` (one instance per key, named by it).
 *
 * A claim has two states. `pending`: an apply took the key and is enqueueing; it holds the key
 * for at most IDEMPOTENCY_PENDING_S. `committed`: the enqueue went through; the key answers that
 * handle until the claim's `result_expires`. Only a committed claim is ever answered to another
 * apply: a second apply that arrives while the first is pending waits for its outcome (the
 * first's handle once committed; the key itself once released by a failed apply) and, past
 * IDEMPOTENCY_WAIT_MS, is told so (409).
 *
 * A pending claim past its time is `stale`: its apply crashed (or lost its commit) after it took
 * the key, perhaps after its enqueue went through. The claim keeps the ids and queues that apply
 * sent (`sent`) until the key's `result_expires`, and the next apply with the key is told so: it
 * looks for those tasks (src/apply/apply.ts) and settles the claim (settleStale): the first
 * apply's handle when its tasks exist, else the key afresh. A crashed apply's resend no longer
 * runs its tasks twice.
 */
import { CountedObject } from "./counted-object.js";
import { IDEMPOTENCY_PENDING_S, IDEMPOTENCY_WAIT_MS, type Handle } from "../src/protocol/index.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import type { SentTask } from "../src/protocol/rpc.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS claim (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  handle TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'committed')),
  until INTEGER NOT NULL,
  ttl_s INTEGER NOT NULL,
  sent TEXT
);
`;

/**
 * What a claim answers: go on and enqueue, the committed handle, still pending elsewhere, or a
 * stale claim (its apply crashed while pending) with the tasks that apply sent, to look for.
 */
export type ClaimOutcome = { kind: "fresh" } | { kind: "done"; handle: Handle } | { kind: "busy" } | { kind: "stale"; handle: Handle; sent: SentTask[] };

type ClaimRow = {
  handle: string;
  state: "pending" | "committed";
  until: number;
  ttl_s: number;
  sent: string | null;
};

/** When a claim is dropped: a committed one at its `until`, a pending one a key's lifetime (`ttl_s`) after it went stale. */
const DROP_AT = "(CASE WHEN state = 'pending' THEN until + ttl_s * 1000 ELSE until END)";

/** One idempotency key's claim. */
export class IdempotencyDO extends CountedObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  /** Applies waiting for a pending claim's outcome. */
  private readonly waiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(SCHEMA);
      // A claim table of an earlier version has no `sent`.
      const columns = this.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('claim')").toArray().map((c) => c.name);
      if (!columns.includes("sent")) this.sql.exec("ALTER TABLE claim ADD COLUMN sent TEXT");
    });
  }

  /** The live claim: committed, or pending within its time. */
  private row(now: number): ClaimRow | undefined {
    return this.sql.exec<ClaimRow>("SELECT handle, state, until, ttl_s, sent FROM claim WHERE until > ?", now).toArray()[0];
  }

  /** A stale claim (pending past its time, still within the key's lifetime) that says what its apply sent. */
  private staleRow(now: number): ClaimRow | undefined {
    return this.sql
      .exec<ClaimRow>(`SELECT handle, state, until, ttl_s, sent FROM claim WHERE state = 'pending' AND until <= ? AND ${DROP_AT} > ? AND sent IS NOT NULL`, now, now)
      .toArray()[0];
  }

  /** Takes the key for `handle`, pending, with what its apply sends. */
  private async takeFresh(handle: Handle, ttlS: number, sent: SentTask[], now: number): Promise<ClaimOutcome> {
    const until = now + IDEMPOTENCY_PENDING_S * 1000;
    this.sql.exec("INSERT OR REPLACE INTO claim (one, handle, state, until, ttl_s, sent) VALUES (1, ?, 'pending', ?, ?, ?)", JSON.stringify(handle), until, ttlS, JSON.stringify(sent));
    await this.ctx.storage.setAlarm(until);
    return { kind: "fresh" };
  }

  /**
   * Takes the key for `handle` (whose apply sends `sent`) unless a live claim holds it (reads and
   * writes `claim`). A pending claim of another apply is waited on, up to IDEMPOTENCY_WAIT_MS; a
   * stale one is answered as such, for the caller to settle (settleStale).
   */
  async claim(handle: Handle, ttlS: number, sent: SentTask[] = []): Promise<ClaimOutcome> {
    this.requests += 1;
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const now = Date.now();
      const old = this.row(now);
      if (old?.state === "committed") return { kind: "done", handle: JSON.parse(old.handle) as Handle };
      if (!old) {
        // A stale claim whose apply named no task to look for (or an earlier version's) is free.
        const stale = this.staleRow(now);
        const staleSent = stale ? (JSON.parse(stale.sent!) as SentTask[]) : [];
        if (stale && staleSent.length > 0) return { kind: "stale", handle: JSON.parse(stale.handle) as Handle, sent: staleSent };
        return this.takeFresh(handle, ttlS, sent, now);
      }
      if (now >= deadline) return { kind: "busy" };
      const left = Math.min(deadline, old.until) - now;
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(timer), this.waiters.delete(wake), resolve());
        const timer = setTimeout(wake, Math.max(left, 1));
        this.waiters.add(wake);
      });
    }
  }

  /**
   * Settles the stale claim of `staleId`: `took` (its tasks were found), it is committed and its
   * handle answered; else the key is taken afresh for `handle`. A claim that changed meanwhile (a
   * concurrent resend settled it) is answered as `claim` would answer it, without waiting.
   */
  async settleStale(staleId: string, took: boolean, handle: Handle, ttlS: number, sent: SentTask[]): Promise<ClaimOutcome> {
    this.requests += 1;
    const now = Date.now();
    const stale = this.staleRow(now);
    if (!stale || (JSON.parse(stale.handle) as Handle).id !== staleId) {
      const live = this.row(now);
      if (live?.state === "committed") return { kind: "done", handle: JSON.parse(live.handle) as Handle };
      if (live) return { kind: "busy" };
      return this.takeFresh(handle, ttlS, sent, now);
    }
    if (!took) return this.takeFresh(handle, ttlS, sent, now);
    const until = now + stale.ttl_s * 1000;
    this.sql.exec("UPDATE claim SET state = 'committed', until = ? WHERE one = 1", until);
    await this.ctx.storage.setAlarm(until);
    this.wake();
    return { kind: "done", handle: JSON.parse(stale.handle) as Handle };
  }

  /** The apply of `handleId` enqueued: its claim counts from now until `result_expires` (writes `claim`). */
  async commit(handleId: string): Promise<void> {
    this.requests += 1;
    const now = Date.now();
    const old = this.row(now);
    if (!old || old.state !== "pending" || (JSON.parse(old.handle) as Handle).id !== handleId) return;
    const until = now + old.ttl_s * 1000;
    this.sql.exec("UPDATE claim SET state = 'committed', until = ? WHERE one = 1", until);
    await this.ctx.storage.setAlarm(until);
    this.wake();
  }

  /** The apply of `handleId` failed: its pending claim goes (writes `claim`). */
  async release(handleId: string): Promise<void> {
    this.requests += 1;
    const old = this.row(Date.now());
    if (!old || old.state !== "pending" || (JSON.parse(old.handle) as Handle).id !== handleId) return;
    this.sql.exec("DELETE FROM claim");
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Drops a claim once its time is up (a pending one goes stale at its `until` and is kept as
   * long as a committed one would have been); wakes the applies waiting on a pending one.
   */
  override async alarm(): Promise<void> {
    this.requests += 1;
    const now = Date.now();
    this.sql.exec(`DELETE FROM claim WHERE ${DROP_AT} <= ?`, now);
    const left = this.sql.exec<{ at: number }>(`SELECT CASE WHEN state = 'pending' AND until > ? THEN until ELSE ${DROP_AT} END AS at FROM claim`, now).toArray()[0];
    if (left) await this.ctx.storage.setAlarm(left.at);
    this.wake();
  }
}
