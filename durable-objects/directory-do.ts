/**
 * DirectoryDO: the queues that exist (one instance, `queues`). A QueueDO lists itself on its
 * first enqueue or setting, and takes itself off again once it is idle and empty (nothing
 * waiting, delayed, leased or in its outbox, no dead letters, no settings of its own), so the
 * routes that ask every queue (listing, metrics, dead letters) ask only queues that hold
 * something, however many names were ever used.
 *
 * It also remembers the ids revoked while their place was unknown, and hands them to a queue
 * when it joins (see directory-revokes.ts): a revoke reaches a task that lands later in a queue
 * that was not listed when it was revoked.
 */
import { CountedObject } from "./counted-object.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import type { DirectoryJoin } from "../src/protocol/rpc.js";
import { DIRECTORY_REVOKES_SCHEMA, recordRevokes, revokesSince } from "./directory-revokes.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY
);
${DIRECTORY_REVOKES_SCHEMA}
`;

/** The list of queues. */
export class DirectoryDO extends CountedObject<EdgeryEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.sql.exec(SCHEMA));
  }

  /**
   * Notes that a queue exists (writes `queues`) and answers the ids revoked while their place was
   * unknown since the queue's join numbered `since` (0: every one still remembered; reads
   * `revokes`), for the queue to remember before it enqueues.
   */
  async registerQueue(name: string, since = 0): Promise<DirectoryJoin> {
    this.requests += 1;
    this.sql.exec("INSERT OR IGNORE INTO queues (name) VALUES (?)", name);
    return revokesSince(this.sql, since, Date.now());
  }

  /** Takes an idle, empty queue off the list (writes `queues`). */
  async unregisterQueue(name: string): Promise<void> {
    this.requests += 1;
    this.sql.exec("DELETE FROM queues WHERE name = ?", name);
  }

  /** Every queue listed (reads `queues`). */
  async listQueues(): Promise<string[]> {
    this.requests += 1;
    return this.queueNames();
  }

  /**
   * Remembers ids revoked while their place is unknown (writes `revokes`) and answers every queue
   * listed, in one step: a queue not in the answer joins later and is handed the ids then.
   */
  async rememberRevokes(ids: string[]): Promise<string[]> {
    this.requests += 1;
    this.ctx.storage.transactionSync(() => recordRevokes(this.sql, ids, Date.now()));
    return this.queueNames();
  }

  private queueNames(): string[] {
    return this.sql.exec<{ name: string }>("SELECT name FROM queues ORDER BY name").toArray().map((r) => r.name);
  }
}
