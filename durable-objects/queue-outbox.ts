/**
 * A QueueDO's outbox: the follow-ups of its transitions (result writes, chord reports, the next
 * steps and callbacks to enqueue), written in the transition's transaction and carried out
 * afterwards, again after a crash. A row that keeps failing is tried again with a doubling
 * backoff, at most OUTBOX_MAX_ATTEMPTS times; then (or at once, when a broker refuses a message
 * for good) it is given up: each of its tasks ends FAILURE with the reason, as a dead letter.
 */
import { OUTBOX_MAX_ATTEMPTS, SQL_PARAM_BUDGET_BYTES } from "../src/protocol/index.js";
import type { TaskMessage } from "../src/protocol/message.js";
import { unclaimedEffects, type Effect } from "../src/canvas/effects.js";
import { enqueueFailedEnding, queueEnded, revokedEnding, type Outcome } from "../src/protocol/outcome.js";
import { plan as planCanvas, type Plan, type PlanEnv } from "../src/canvas/plan.js";
import { runEffects } from "../src/apply/run-effects.js";
import { PayloadTooLargeError } from "../src/brokers/broker.js";
import { jsonSlices } from "../src/runtime/pack.js";
import { retryBackoffMs } from "../src/runtime/backoff.js";
import { planEnvOf } from "../src/app/plan-env.js";
import { getApp } from "../src/runtime/app-registry.js";
import { chordStub } from "../src/runtime/stubs.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import { recordDeadLetter } from "./dead-letter-store.js";

/** When the alarm checks on fresh outbox rows the pump should already have carried out. */
const OUTBOX_SAFETY_MS = 5_000;
/** Rows carried out in one pass. */
const FLUSH_ROWS = 200;

type OutboxRow = { seq: number; effect: string; attempts: number };

/**
 * When the alarm must run for the outbox (parameter: when a fresh row is due), or NULL when it is
 * empty: the earlier of that time, if any row is fresh (attempts = 0), and the next try of the
 * backed-off rows (attempts > 0). Run after every transition: the fresh test stops at the first
 * fresh row and the backed-off term is one probe of the `outbox_backoff` partial index, where one
 * MIN over a CASE of every row read the whole outbox each time.
 */
export const OUTBOX_NEXT_DUE_SQL = `SELECT MIN(t) AS t FROM (
  SELECT ? AS t WHERE EXISTS (SELECT 1 FROM outbox WHERE attempts = 0)
  UNION ALL SELECT MIN(not_before) FROM outbox WHERE attempts > 0)`;

/**
 * The rows a flush carries out (parameters: now, then how many): the lowest `seq`s among the fresh
 * rows (attempts = 0, due at once; read through `outbox_fresh`) and the backed-off rows whose next
 * try is due (read through `outbox_backoff`), in `seq` order. Each side reads only the `seq`s
 * it returns; the rows' effects (often many KB) are read once, by rowid, not copied through a
 * sort. One `not_before <= ? ORDER BY seq` over the table read every backed-off row still
 * waiting for its try before the fresh ones, on every flush, so an outage that backed off
 * thousands of rows made each settle's flush read them all.
 */
export const OUTBOX_DUE_SQL = `SELECT seq, effect, attempts FROM outbox WHERE seq IN (
  SELECT seq FROM (SELECT seq FROM outbox WHERE attempts = 0 ORDER BY seq LIMIT ?2)
  UNION ALL
  SELECT seq FROM (SELECT seq FROM outbox WHERE attempts > 0 AND not_before <= ?1 ORDER BY not_before LIMIT ?2)
) ORDER BY seq LIMIT ?2`;

/** The effects of a task that ended here (with its result policy): the QueueDO's `endEffects`. */
export type EndEffects = (m: TaskMessage, outcome: Outcome) => Effect[];

/** The outbox table of one QueueDO. */
export class QueueOutbox {
  /** Set when a give-up in this pass added rows (what its failed tasks set in motion). */
  private followed = false;
  /**
   * True once a read found the table empty, until this object adds a row: the outbox is this
   * object's own table, so while it is known empty, flushOnce and nextDue skip their queries
   * (most transitions of an idle queue add none). Unknown (false) when the object starts.
   */
  private empty = false;

  /**
   * @param revoked - True when this queue knows the id revoked (its `revoked` table): a follow-up
   *   given up ends REVOKED then, as it would have wherever it landed, not EnqueueError.
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: EdgeryEnv,
    private readonly storage: DurableObjectStorage,
    private readonly endEffects: EndEffects,
    private readonly revoked: (id: string, now: number) => boolean,
  ) {}

  /** True when the table is known to be empty (see `empty`): there is nothing to carry out. */
  get knownEmpty(): boolean {
    return this.empty;
  }

  /** Writes a transition's effects (inside its transaction) as rows of ~1 MB at most (a stored string is limited to 2 MB). */
  add(effects: Effect[]): void {
    if (effects.length > 0) this.empty = false;
    for (const slice of jsonSlices(effects, SQL_PARAM_BUDGET_BYTES)) this.sql.exec("INSERT INTO outbox (effect) VALUES (?)", slice);
  }

  /**
   * When the alarm must run for the outbox, or null when it is empty: a fresh row soon (the
   * safety net should the pump not carry it out), a backed-off row when its next try is due.
   */
  nextDue(now: number): number | null {
    if (this.empty) return null;
    const t = this.sql.exec<{ t: number | null }>(OUTBOX_NEXT_DUE_SQL, now + OUTBOX_SAFETY_MS).one().t;
    // NULL: no fresh row and no backed-off one, so the table is empty.
    this.empty = t === null;
    return t;
  }

  /** Carries out up to FLUSH_ROWS due rows. Returns true when more rows may be due (a full pass, or rows a give-up added). */
  async flushOnce(now: number): Promise<boolean> {
    this.followed = false;
    if (this.empty) return false;
    const rows = this.sql.exec<OutboxRow>(OUTBOX_DUE_SQL, now, FLUSH_ROWS).toArray();
    if (rows.length === 0) return false;
    const planEnv = planEnvOf(getApp(), now);
    try {
      await runEffects(this.env, rows.flatMap((r) => JSON.parse(r.effect) as Effect[]), planEnv);
      this.delete(rows.map((r) => r.seq));
    } catch (err) {
      // One failing effect must not hold up the others: carry the rows out one by one, and back
      // off only those that still fail (every receiver is idempotent, so a repeat is harmless).
      console.error("edgery: outbox batch failed; retrying its rows one by one", err);
      for (const r of rows) {
        try {
          await runEffects(this.env, JSON.parse(r.effect) as Effect[], planEnv);
          this.delete([r.seq]);
        } catch (rowErr) {
          await this.failed(r, rowErr, now);
        }
      }
    }
    return rows.length === FLUSH_ROWS || this.followed;
  }

  /** A row that failed once more: backed off, or given up when its attempts are spent or the failure is for good. */
  private async failed(row: OutboxRow, err: unknown, now: number): Promise<void> {
    const attempts = row.attempts + 1;
    if (attempts < OUTBOX_MAX_ATTEMPTS && !(err instanceof PayloadTooLargeError)) {
      console.error(`edgery: outbox row ${row.seq} failed (attempt ${attempts} of ${OUTBOX_MAX_ATTEMPTS}); the alarm retries it`, err);
      this.sql.exec("UPDATE outbox SET attempts = ?, not_before = ? WHERE seq = ?", attempts, now + retryBackoffMs(attempts), row.seq);
      return;
    }
    await this.giveUp(row, attempts, now);
  }

  /**
   * Gives a row up: its effects are tried one by one (those that go through are done); each
   * follow-up that still fails ends its tasks FAILURE, recorded as dead letters, and what that
   * sets in motion (errbacks, a chord's failure) goes into a fresh row. A result write or chord
   * report that cannot be carried out is dropped, loudly: there is no task left to fail.
   */
  private async giveUp(row: OutboxRow, attempts: number, now: number): Promise<void> {
    const planEnv = planEnvOf(getApp(), now);
    const stuck: Array<{ effect: Effect; err: unknown }> = [];
    // An ending that cannot be claimed still ends its task: its own result and follow-ups.
    for (const effect of (JSON.parse(row.effect) as Effect[]).flatMap((e) => (e.kind === "ending" ? unclaimedEffects(e) : [e]))) {
      try {
        await runEffects(this.env, [effect], planEnv);
      } catch (err) {
        stuck.push({ effect, err });
      }
    }
    const given = stuck.map(({ effect, err }) => ({ effect, err, plan: effect.kind === "apply" ? planOrNull(effect, planEnv) : null }));
    // The chords a given-up follow-up would have opened are opened (idempotent), so that the
    // reports of its failed members reach them: the chord's body then fails with ChordError.
    await Promise.allSettled(given.flatMap((g) => g.plan?.chords ?? []).map((c) => chordStub(this.env, c.id).open(c)));
    this.storage.transactionSync(() => {
      const follow: Effect[] = [];
      for (const { effect, err, plan } of given) {
        if (!plan) {
          console.error(`edgery: outbox row ${row.seq}: a ${effect.kind} effect failed ${attempts} times and cannot be failed in turn; dropped`, effect, err);
          continue;
        }
        const refused = err instanceof PayloadTooLargeError ? new Set(err.ids) : null;
        const reason = err instanceof Error ? err.message : String(err);
        const ended = queueEnded(enqueueFailedEnding(reason, attempts, refused !== null), now);
        for (const m of plan.messages) {
          if (refused && !refused.has(m.id)) continue;
          // A revoked task ends REVOKED, not as a dead letter: it would never have run anyway.
          if (this.revoked(m.id, now)) {
            follow.push(...this.endEffects(m, queueEnded(revokedEnding("revoked"), now)));
            continue;
          }
          const outcome = recordDeadLetter(this.sql, m, ended);
          follow.push(...this.endEffects(m, outcome));
        }
      }
      this.delete([row.seq]);
      this.add(follow);
      this.followed ||= follow.length > 0;
    });
  }

  private delete(seqs: number[]): void {
    this.sql.exec("DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))", JSON.stringify(seqs));
  }
}

/** The plan of a given-up `apply` effect, or null (another kind, or one that cannot be planned). */
function planOrNull(effect: Effect, env: PlanEnv): Plan | null {
  if (effect.kind !== "apply") return null;
  try {
    return planCanvas(effect.canvas, effect.inherit, env);
  } catch {
    return null;
  }
}
