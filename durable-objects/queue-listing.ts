/**
 * A QueueDO's entry in the directory (DirectoryDO): listed on its first enqueue or setting,
 * taken off once the queue has been idle and empty for QUEUE_IDLE_UNLIST_MS, so the routes that
 * ask every queue ask only queues that hold something.
 *
 * The calls to the directory go one at a time, in order: an unlisting that races an enqueue
 * cannot land after the enqueue's listing.
 *
 * Joining also hands the queue the ids revoked while their place was unknown (see
 * directory-revokes.ts), so a task revoked before it lands here is dropped when it arrives.
 */
import { QUEUE_IDLE_UNLIST_MS } from "../src/protocol/index.js";
import { directoryStub } from "../src/runtime/stubs.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import type { RevokedId } from "../src/protocol/rpc.js";

/** The queue's meta keys this reads: its flag, its revoke cursor, and the settings that keep a queue listed. */
const LISTED = "listed";
const REVOKES_SEEN = "revokes_seen";
const SETTINGS = ["concurrency", "paused", "max_waiting"];

/** The queue's side of its directory entry. */
export class QueueListing {
  /** When the queue last took something in (in memory: a woken object counts as active). */
  lastActive = Date.now();
  private ops: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: EdgeryEnv,
    private readonly sql: SqlStorage,
    private readonly meta: (key: string) => string | undefined,
    private readonly setMeta: (key: string, value: string) => void,
    private readonly remember: (revokes: RevokedId[]) => void,
  ) {}

  /** True when the queue holds messages, outbox rows, dead letters or settings of its own (reads those tables). */
  holdsSomething(): boolean {
    if (SETTINGS.some((k) => this.meta(k) !== undefined)) return true;
    return (
      this.sql
        .exec<{ n: number }>(
          "SELECT EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM dead_letters) AS n",
        )
        .one().n === 1
    );
  }

  /**
   * Lists the queue unless it is (writes meta `listed` and `revokes_seen`). The ids the directory
   * answers (revoked while their place was unknown, since this queue's last join) are remembered
   * in the same synchronous step that marks it listed, before this resolves: the enqueue that
   * joins checks them, and so does any call that finds the queue listed.
   */
  async list(name: string): Promise<void> {
    this.lastActive = Date.now();
    if (this.meta(LISTED) === "true") return;
    await this.serially(async () => {
      if (this.meta(LISTED) === "true") return;
      const joined = await directoryStub(this.env).registerQueue(name, Number(this.meta(REVOKES_SEEN) ?? 0));
      this.remember(joined.revokes);
      this.setMeta(REVOKES_SEEN, String(joined.seq));
      this.setMeta(LISTED, "true");
    });
  }

  /** True when the queue is listed and may be taken off once its idle time is up. */
  idleCandidate(): boolean {
    return this.meta(LISTED) === "true" && !this.holdsSomething();
  }

  /** When an idle queue is due to leave the directory. */
  unlistAt(): number {
    return this.lastActive + QUEUE_IDLE_UNLIST_MS;
  }

  /** Takes the queue off the directory if it has been idle and empty long enough; answers whether it did. */
  async unlistIfIdle(name: string, now: number): Promise<boolean> {
    if (!this.idleCandidate() || now < this.unlistAt()) return false;
    await this.serially(async () => {
      if (!this.idleCandidate()) return;
      this.setMeta(LISTED, "false");
      await directoryStub(this.env).unregisterQueue(name);
    });
    // Something came in meanwhile: it is listed again (after the unlisting, in order).
    if (this.holdsSomething()) await this.list(name);
    return true;
  }

  private serially(op: () => Promise<void>): Promise<void> {
    const next = this.ops.then(op);
    this.ops = next.catch(() => undefined);
    return next;
  }
}
