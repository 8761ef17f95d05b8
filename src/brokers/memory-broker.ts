/**
 * The in-memory twin of a broker, for unit tests: the QueueDO's visible semantics without
 * Durable Objects. Messages by id (a replayed enqueue is skipped; a fresh send's canvas member
 * whose id is held refuses the enqueue), delayed until their eta,
 * handed out highest priority first and FIFO within a priority, up to the concurrency window;
 * revoke ends waiting/delayed ones and remembers the id; `failing` makes every call reject, as
 * a far side that is down.
 */
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_WAITING, DEFAULT_PREFETCH, type QueueStats } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { BrokerUnavailableError, isCanvasMember, QueueFullError, TaskIdInUseError, type Broker, type EnqueueOptions, type QueueSettings } from "./broker.js";

interface Held {
  m: TaskMessage;
  seq: number;
  leased: boolean;
}

/** A broker in memory. */
export class MemoryBroker implements Broker {
  readonly kind = "memory" as const;
  readonly cancellable = true;
  /** When set, every call rejects with it (the far side is down or times out). */
  failing: Error | null = null;
  /** Ids ended REVOKED (revoked while waiting, or arriving after their revoke). */
  readonly ended: string[] = [];
  private seq = 0;
  private readonly held = new Map<string, Held>();
  private readonly revoked = new Set<string>();
  private readonly settings = new Map<string, Required<QueueSettings>>();
  private readonly done = new Map<string, { completed: number; failed: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  private check(): void {
    if (this.failing) throw new BrokerUnavailableError(this.failing.message);
  }

  private settingsOf(queue: string): Required<QueueSettings> {
    return this.settings.get(queue) ?? { concurrency: DEFAULT_CONCURRENCY, paused: false, max_waiting: DEFAULT_MAX_WAITING, prefetch: DEFAULT_PREFETCH };
  }

  async enqueue(messages: TaskMessage[], options: EnqueueOptions = {}): Promise<{ skipped: string[] } | undefined> {
    this.check();
    const inUse = options.fresh ? messages.filter((m) => isCanvasMember(m) && this.held.has(m.id)).map((m) => m.id) : [];
    if (inUse.length > 0) throw new TaskIdInUseError(inUse, messages.map((m) => m.id));
    const queue = messages[0]?.queue;
    if (queue !== undefined) {
      const holds = [...this.held.values()].filter((h) => h.m.queue === queue).length;
      const max = this.settingsOf(queue).max_waiting;
      if (holds + messages.length > max) throw new QueueFullError(`queue '${queue}' holds ${holds} messages; at most ${max} (max_waiting)`, messages.map((m) => m.id));
    }
    const skipped: string[] = [];
    for (const m of messages) {
      if (this.revoked.has(m.id)) {
        this.ended.push(m.id);
        continue;
      }
      if (this.held.has(m.id)) skipped.push(m.id);
      else this.held.set(m.id, { m: structuredClone(m), seq: this.seq++, leased: false });
    }
    return skipped.length > 0 ? { skipped } : undefined;
  }

  async cancel(messages: TaskMessage[]): Promise<void> {
    this.check();
    for (const m of messages) if (!this.held.get(m.id)?.leased) this.held.delete(m.id);
  }

  async revoke(_queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }> {
    this.check();
    const revoked: string[] = [];
    for (const id of ids) {
      this.revoked.add(id);
      const h = this.held.get(id);
      if (!h || (h.leased && !terminate)) continue;
      this.held.delete(id);
      this.ended.push(id);
      revoked.push(id);
    }
    return { revoked };
  }

  async stats(queue: string): Promise<QueueStats> {
    this.check();
    const now = this.clock();
    const s = this.settingsOf(queue);
    const counts = { waiting: 0, delayed: 0, leased: 0 };
    for (const h of this.held.values()) {
      if (h.m.queue !== queue) continue;
      if (h.leased) counts.leased++;
      else if (h.m.eta !== null && h.m.eta > now) counts.delayed++;
      else counts.waiting++;
    }
    return { name: queue, ...counts, paused: s.paused, concurrency: s.concurrency, prefetch: s.prefetch, ...(this.done.get(queue) ?? { completed: 0, failed: 0 }) };
  }

  async configure(queue: string, settings: QueueSettings): Promise<QueueStats> {
    this.check();
    this.settings.set(queue, { ...this.settingsOf(queue), ...settings } as Required<QueueSettings>);
    return this.stats(queue);
  }

  async purge(queue: string): Promise<{ purged: number }> {
    this.check();
    const now = this.clock();
    let purged = 0;
    for (const [id, h] of this.held) {
      if (h.m.queue === queue && !h.leased && (h.m.eta === null || h.m.eta <= now)) {
        this.held.delete(id);
        purged++;
      }
    }
    return { purged };
  }

  /** Hands out ready messages of a queue as the QueueDO dispatches them (test driver). */
  take(queue: string, max = Infinity): TaskMessage[] {
    const now = this.clock();
    const s = this.settingsOf(queue);
    if (s.paused) return [];
    const inFlight = [...this.held.values()].filter((h) => h.m.queue === queue && h.leased).length;
    const ready = [...this.held.values()]
      .filter((h) => h.m.queue === queue && !h.leased && (h.m.eta === null || h.m.eta <= now))
      .sort((a, b) => b.m.priority - a.m.priority || a.seq - b.seq)
      .slice(0, Math.max(0, Math.min(max, s.concurrency - inFlight)));
    for (const h of ready) h.leased = true;
    return ready.map((h) => structuredClone(h.m));
  }

  /** A taken message finished (test driver). */
  finish(id: string, ok = true): void {
    const h = this.held.get(id);
    if (!h?.leased) return;
    this.held.delete(id);
    const d = this.done.get(h.m.queue) ?? { completed: 0, failed: 0 };
    if (ok) d.completed++;
    else d.failed++;
    this.done.set(h.m.queue, d);
  }

  /** Every message held, in arrival order (test driver). */
  all(): TaskMessage[] {
    return [...this.held.values()].sort((a, b) => a.seq - b.seq).map((h) => h.m);
  }
}
