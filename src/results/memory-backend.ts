/**
 * The in-memory twin of a queryable result backend (the d1 backend's semantics): for unit tests
 * and for the conformance suite's reference run.
 */
import {
  afterCursor,
  decodeCursor,
  encodeCursor,
  epochOf,
  keepsOld,
  matches,
  newestFirst,
  type ResultBackend,
  type ResultFilter,
  type ResultPage,
  type StoredResult,
} from "./backend.js";

/** Results in a Map. */
export class MemoryBackend implements ResultBackend {
  readonly kind = "d1" as const;
  private readonly rows = new Map<string, StoredResult>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(r: StoredResult | undefined): StoredResult | null {
    if (!r) return null;
    if (r.expires_at !== undefined && r.expires_at !== null && r.expires_at <= this.now()) return null;
    return r;
  }

  async put(results: StoredResult[]): Promise<void> {
    for (const r of results) {
      if (keepsOld(this.live(this.rows.get(r.id)))) continue;
      this.rows.set(r.id, structuredClone(r));
    }
  }

  async get(id: string): Promise<StoredResult | null> {
    const r = this.live(this.rows.get(id));
    return r ? structuredClone(r) : null;
  }

  async forget(id: string): Promise<void> {
    this.rows.delete(id);
  }

  async query(filter: ResultFilter, cursor: string | null): Promise<ResultPage> {
    const pos = cursor === null ? null : decodeCursor(cursor);
    if (cursor !== null && !pos) throw new Error("bad cursor");
    const all = [...this.rows.values()]
      .filter((r) => this.live(r) && matches(r, filter) && (!pos || afterCursor(r, pos)))
      .sort(newestFirst);
    const page = all.slice(0, filter.limit);
    const last = all.length > filter.limit ? page[page.length - 1] : undefined;
    return { results: page.map((r) => structuredClone(r)), cursor: last ? encodeCursor({ d: epochOf(last.date_done) ?? 0, id: last.id }) : null };
  }
}
