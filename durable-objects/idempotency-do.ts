/**
 * IdempotencyDO: the claim of one `idempotency_key` (one instance per key, named by it).
 *
 * A claim has two states. `pending`: an apply took the key and is enqueueing; it holds the key
 * for at most IDEMPOTENCY_PENDING_S (an apply that crashed lets it go then). `committed`: the
 * enqueue went through; the key answers that handle until the claim's `result_expires`. Only a
 * committed claim is ever answered to another apply: a second apply that arrives while the first
 * is pending waits for its outcome (the first's handle once committed; the key itself once
 * released by a failed apply) and, past IDEMPOTENCY_WAIT_MS, is told so (409).
 */
import { DurableObject } from "cloudflare:workers";
import { IDEMPOTENCY_PENDING_S, IDEMPOTENCY_WAIT_MS, type Handle } from "../src/protocol/index.js";
import type { EdgeryEnv } from "../src/runtime/env.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS claim (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  handle TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'committed')),
  until INTEGER NOT NULL,
  ttl_s INTEGER NOT NULL
);
`;

/** What a claim answers: go on and enqueue, the committed handle, or still pending elsewhere. */
export type ClaimOutcome = { kind: "fresh" } | { kind: "done"; handle: Handle } | { kind: "busy" };

type ClaimRow = {
  handle: string;
  state: "pending" | "committed";
  until: number;
  ttl_s: number;
};

/** One idempotency key's claim. */
export class IdempotencyDO extends DurableObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  /** Applies waiting for a pending claim's outcome. */
  private readonly waiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.sql.exec(SCHEMA));
  }

  private row(now: number): ClaimRow | undefined {
    return this.sql.exec<ClaimRow>("SELECT handle, state, until, ttl_s FROM claim WHERE until > ?", now).toArray()[0];
  }

  /**
   * Takes the key for `handle` unless a live claim holds it (reads and writes `claim`). A pending
   * claim of another apply is waited on, up to IDEMPOTENCY_WAIT_MS.
   */
  async claim(handle: Handle, ttlS: number): Promise<ClaimOutcome> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const now = Date.now();
      const old = this.row(now);
      if (old?.state === "committed") return { kind: "done", handle: JSON.parse(old.handle) as Handle };
      if (!old) {
        const until = now + IDEMPOTENCY_PENDING_S * 1000;
        this.sql.exec("INSERT OR REPLACE INTO claim (one, handle, state, until, ttl_s) VALUES (1, ?, 'pending', ?, ?)", JSON.stringify(handle), until, ttlS);
        await this.ctx.storage.setAlarm(until);
        return { kind: "fresh" };
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

  /** The apply of `handleId` enqueued: its claim counts from now until `result_expires` (writes `claim`). */
  async commit(handleId: string): Promise<void> {
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
    const old = this.row(Date.now());
    if (!old || old.state !== "pending" || (JSON.parse(old.handle) as Handle).id !== handleId) return;
    this.sql.exec("DELETE FROM claim");
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Drops the claim once its time is up. */
  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM claim WHERE until <= ?", Date.now());
    const left = this.sql.exec<{ until: number }>("SELECT until FROM claim").toArray()[0];
    if (left) await this.ctx.storage.setAlarm(left.until);
    this.wake();
  }
}
