/**
 * DirectoryDO: the queues that exist (one instance, `queues`). A QueueDO lists itself on its
 * first enqueue or setting, and takes itself off again once it is idle and empty (nothing
 * waiting, delayed, leased or in its outbox, no dead letters, no settings of its own), so the
 * routes that ask every queue (listing, metrics, dead letters) ask only queues that hold
 * something, however many names were ever used.
 */
import { DurableObject } from "cloudflare:workers";
import type { EdgeryEnv } from "../src/runtime/env.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY
);
`;

/** The list of queues. */
export class DirectoryDO extends DurableObject<EdgeryEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.sql.exec(SCHEMA));
  }

  /** Notes that a queue exists (writes `queues`). */
  async registerQueue(name: string): Promise<void> {
    this.sql.exec("INSERT OR IGNORE INTO queues (name) VALUES (?)", name);
  }

  /** Takes an idle, empty queue off the list (writes `queues`). */
  async unregisterQueue(name: string): Promise<void> {
    this.sql.exec("DELETE FROM queues WHERE name = ?", name);
  }

  /** Every queue listed (reads `queues`). */
  async listQueues(): Promise<string[]> {
    return this.sql.exec<{ name: string }>("SELECT name FROM queues ORDER BY name").toArray().map((r) => r.name);
  }
}
