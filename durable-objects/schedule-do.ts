/**
 * ScheduleDO: Celery beat for the edge. One instance (`schedules`) keeps, per schedule the app
 * registered, when it last ran and when it runs next; `tick()` applies whatever is due. A Cron
 * Trigger (the Worker's `scheduled()` handler, every minute) and this object's own alarm (set
 * to the earliest next run, so an `every` finer than a minute keeps its pace) both call it.
 *
 * At most once per slot: a run's next time is written before its signature is applied, so two
 * ticks racing never apply the same slot twice; a failed apply is logged, not retried.
 */
import { DurableObject } from "cloudflare:workers";
import { parseSignature } from "../src/protocol/index.js";
import { applyCanvases } from "../src/apply/apply.js";
import { firstRunAt, nextRunAt, rescheduledAt, scheduleSpec, type ScheduleDefinition, type ScheduleInfo } from "../src/schedule/schedule.js";
import { getApp } from "../src/runtime/app-registry.js";
import type { EdgeryEnv } from "../src/runtime/env.js";

const SCHEDULE_SCHEMA = `
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  last_run_at INTEGER,
  next_run_at INTEGER,
  spec TEXT
);
`;

/** `spec` (scheduleSpec) came after the first release: an older table gains it, NULL in its rows. */
const ADD_SPEC = "ALTER TABLE schedules ADD COLUMN spec TEXT";

type ScheduleRow = { name: string; last_run_at: number | null; next_run_at: number | null; spec: string | null };

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** Run times of the app's schedules. */
export class ScheduleDO extends DurableObject<EdgeryEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(SCHEDULE_SCHEMA);
      const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(schedules)").toArray();
      if (!columns.some((c) => c.name === "spec")) this.sql.exec(ADD_SPEC);
    });
  }

  /**
   * Brings the table in line with the app's schedules. Writes: a row (with its first run time)
   * for a new schedule; the next run of a schedule whose definition changed (rescheduledAt);
   * deletes rows of schedules no longer registered. Returns the rows by name. A row from before
   * `spec` was kept takes its schedule's spec as it is (its next run was computed by it, most
   * likely).
   */
  private sync(defs: ScheduleDefinition[], now: number): Map<string, ScheduleRow> {
    const rows = new Map(this.sql.exec<ScheduleRow>("SELECT * FROM schedules").toArray().map((r) => [r.name, r]));
    this.ctx.storage.transactionSync(() => {
      for (const name of rows.keys()) {
        if (defs.some((d) => d.name === name)) continue;
        this.sql.exec("DELETE FROM schedules WHERE name = ?", name);
        rows.delete(name);
      }
      for (const def of defs) {
        const spec = scheduleSpec(def);
        const old = rows.get(def.name);
        if (old?.spec === spec) continue;
        if (old) {
          const row: ScheduleRow = { ...old, spec, next_run_at: old.spec === null ? old.next_run_at : rescheduledAt(def, old.last_run_at, now) };
          this.sql.exec("UPDATE schedules SET next_run_at = ?, spec = ? WHERE name = ?", row.next_run_at, spec, def.name);
          rows.set(def.name, row);
          continue;
        }
        const row: ScheduleRow = { name: def.name, last_run_at: null, next_run_at: firstRunAt(def, now), spec };
        this.sql.exec("INSERT INTO schedules (name, last_run_at, next_run_at, spec) VALUES (?, ?, ?, ?)", row.name, row.last_run_at, row.next_run_at, spec);
        rows.set(def.name, row);
      }
    });
    return rows;
  }

  /** The app's schedules with their run times (registering new ones, as a tick would). */
  async list(): Promise<ScheduleInfo[]> {
    const defs = getApp().schedules();
    const rows = this.sync(defs, Date.now());
    await this.arm();
    return defs.map((d) => {
      const row = rows.get(d.name);
      return {
        name: d.name,
        ...(d.cron ? { cron: d.cron.source, ...(d.cron.tz !== undefined ? { tz: d.cron.tz } : {}) } : { every: d.every ?? 0 }),
        signature: d.signature,
        last_run_at: iso(row?.last_run_at ?? null),
        next_run_at: iso(row?.next_run_at ?? null),
      };
    });
  }

  /**
   * Applies every schedule due at `now`. Reads: the rows. Writes: last/next run of each due one
   * (before applying it). Returns the names applied.
   */
  async tick(): Promise<{ applied: string[] }> {
    const app = getApp();
    const defs = app.schedules();
    const now = Date.now();
    const rows = this.sync(defs, now);
    const due: ScheduleDefinition[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const def of defs) {
        const row = rows.get(def.name);
        if (!row || row.next_run_at === null || row.next_run_at > now) continue;
        this.sql.exec("UPDATE schedules SET last_run_at = ?, next_run_at = ? WHERE name = ?", now, nextRunAt(def, row.next_run_at, now), def.name);
        due.push(def);
      }
    });
    const applied: string[] = [];
    await Promise.all(
      due.map(async (def) => {
        try {
          await applyCanvases(this.env, app, [{ canvas: parseSignature(def.signature), path: "" }]);
          applied.push(def.name);
        } catch (err) {
          console.error(`edgery: schedule '${def.name}' could not be applied`, err);
        }
      }),
    );
    await this.arm();
    return { applied };
  }

  /** Sets the alarm to the earliest next run (nothing when there is no schedule). */
  private async arm(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(next_run_at) AS t FROM schedules").one().t;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1));
  }

  override async alarm(): Promise<void> {
    await this.tick();
  }
}
