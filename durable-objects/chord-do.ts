/**
 * ChordDO: the join of one chord. Each header member reports once (`report` is idempotent per
 * index, so a redelivered member cannot count twice); when every member is in, the body is
 * applied exactly once with the results in header order. A failed member fails the body at once
 * with ChordError naming the member, and the chord's errbacks fire once. Nothing polls.
 */
import { CountedObject } from "./counted-object.js";
import { MAX_MESSAGE_BYTES, OUTBOX_MAX_ATTEMPTS, type TaskErrorInfo } from "../src/protocol/index.js";
import { failureEffects, unrunWrites, type ChordReport, type Effect } from "../src/canvas/effects.js";
import { leafIds } from "../src/canvas/handle.js";
import { isGatherer, rootInherit, type ChordInit } from "../src/canvas/plan.js";
import { runEffects } from "../src/apply/run-effects.js";
import { planEnvOf } from "../src/app/plan-env.js";
import { findApp, getApp } from "../src/runtime/app-registry.js";
import { canvasExpiresS } from "../src/app/task-settings.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import { offloadValue } from "../src/results/r2-backend.js";
import { chordListKey, POINTER_KEY, PointerSigner } from "../src/results/pointer.js";
import { PayloadTooLargeError } from "../src/brokers/broker.js";
import { insertBatches, jsonStringBytes } from "../src/runtime/pack.js";
import { retryBackoffMs } from "../src/runtime/backoff.js";

const CHORD_SCHEMA = `
CREATE TABLE IF NOT EXISTS spec (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  init TEXT NOT NULL,
  fired INTEGER NOT NULL DEFAULT 0,
  effects TEXT
);
CREATE TABLE IF NOT EXISTS members (
  idx INTEGER PRIMARY KEY,
  member_id TEXT NOT NULL,
  ok INTEGER NOT NULL,
  value TEXT
);
CREATE INDEX IF NOT EXISTS members_failed ON members (idx) WHERE ok = 0;
CREATE TABLE IF NOT EXISTS carry (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  attempts INTEGER NOT NULL DEFAULT 0,
  gave_up INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS r2_args (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
`;

/**
 * The first failed member (lowest index), or no row: one probe of the `members_failed` partial
 * index, which holds only failed members. Run on every report of an unfired chord, so it must not
 * read the members that succeeded (a scan of `members` made a chord of n members cost O(n²)).
 */
export const FIRST_FAILED_SQL = "SELECT member_id, value FROM members WHERE idx = (SELECT MIN(idx) FROM members WHERE ok = 0)";

/** A reported member as inserted: index, member id, ok (1 or 0), its value or error as JSON. */
type MemberRow = [idx: number, memberId: string, ok: 0 | 1, value: string];

/** A batch of {@link MemberRow}s (one JSON array, `?`) into `members`, each index once; RETURNING the new ones. */
export const MEMBERS_INSERT_SQL = `INSERT OR IGNORE INTO members (idx, member_id, ok, value)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key RETURNING idx`;

/**
 * Stands in the body's arguments for a results list too large for a task message, until
 * carryOut has written the list to R2 and put the pointer in its place.
 */
const RESULTS_IN_R2 = "$edgery_chord_results";

/**
 * How soon the alarm carries out a fired chord's effects if the carry-out that follows the firing
 * never ends (the object evicted, the process killed): set before that carry-out starts.
 */
const CARRY_SAFETY_MS = 30_000;

/**
 * The reports that name a member of a header of `size` (an integer index from 0 to size - 1, a
 * string member id); any other is logged and left out. A peer app's message may carry any chord
 * ref, and a report past the header counted as a member: the chord fired early, without a real
 * member's result. Pure but for the log.
 */
export function headerReports(reports: ChordReport[], size: number): ChordReport[] {
  const inHeader = reports.filter((r) => Number.isInteger(r.index) && r.index >= 0 && r.index < size && typeof r.memberId === "string");
  if (inHeader.length < reports.length) console.error(`edgery: ${reports.length - inHeader.length} chord report(s) outside the header of ${size}; left out`);
  return inHeader;
}

/** One chord's join counter. */
export class ChordDO extends CountedObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  /** The carry-out running in this instance, if any: one at a time, so effects go out once. */
  private carrying: Promise<void> | null = null;
  /**
   * Rows in `members`, counted once when the object starts and kept in step by each report's
   * inserts (members are never deleted), so a report does not count the whole table again.
   */
  private reported = 0;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(CHORD_SCHEMA);
      this.reported = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").one().n;
    });
  }

  /** Opens the chord (idempotent: a second open of the same chord changes nothing). */
  async open(init: ChordInit): Promise<void> {
    this.requests += 1;
    this.sql.exec("INSERT OR IGNORE INTO spec (one, init) VALUES (1, ?)", JSON.stringify(init));
  }

  /**
   * Records member reports. Writes each index once; when the last one is in (or the first
   * failure arrives) marks the chord fired and returns the body's effects, then carries them out.
   * A report that finds the chord fired with its effects still pending (the carry-out after the
   * firing was cut short: the process killed, so the member's report is sent again) carries them
   * out, as the alarm set at the firing also would.
   */
  async report(reports: ChordReport[]): Promise<{ fired: boolean }> {
    this.requests += 1;
    let effects: Effect[] | null = null;
    let pending = false;
    // The members this report adds, counted into `reported` only once its transaction committed.
    const added = this.ctx.storage.transactionSync(() => {
      const spec = this.sql.exec<{ init: string; fired: number; pending: number }>("SELECT init, fired, effects IS NOT NULL AS pending FROM spec").toArray()[0];
      if (!spec) {
        // Every chord is opened before its members are enqueued (src/apply/enqueue-prepared.ts,
        // src/apply/run-effects.ts), so no retry opens this one: a forged ref, or a chord whose
        // join has expired. Dropped here, not thrown back to the outbox to be tried ten times.
        console.error(`edgery: ${reports.length} report(s) to a chord that was never opened (or has expired); dropped`);
        return 0;
      }
      const init = JSON.parse(spec.init) as ChordInit;
      const inserted = this.insertMembers(headerReports(reports, init.size));
      if (spec.fired) {
        pending = spec.pending === 1;
        return inserted;
      }
      const failed = this.sql.exec<{ member_id: string; value: string }>(FIRST_FAILED_SQL).toArray()[0];
      if (failed) effects = this.failEffects(init, failed.member_id, JSON.parse(failed.value) as TaskErrorInfo);
      else if (this.reported + inserted >= init.size) effects = this.bodyEffects(init);
      if (effects) this.sql.exec("UPDATE spec SET fired = 1, effects = ? WHERE one = 1", JSON.stringify(effects));
      return inserted;
    });
    this.reported += added;
    if (!effects) {
      if (pending) await this.carryOut();
      return { fired: false };
    }
    await this.ctx.storage.setAlarm(Date.now() + CARRY_SAFETY_MS);
    await this.carryOut();
    return { fired: true };
  }

  /**
   * Inserts the reported members, each index once: RETURNING yields a row only when the index was
   * new (OR IGNORE skips a repeated one, in this batch or an earlier one). In batches of ~1 MB of
   * JSON (one statement per report was most of a report's cost), a large value alone
   * (insertBatches). Returns how many were new.
   */
  private insertMembers(reports: ChordReport[]): number {
    const rows = reports.map((r): MemberRow => [r.index, r.memberId, r.ok ? 1 : 0, JSON.stringify(r.ok ? (r.value ?? null) : r.error)]);
    const { slices, alone } = insertBatches(rows, (r) => r[3].length, (r) => r);
    let inserted = 0;
    for (const slice of slices) inserted += this.sql.exec(MEMBERS_INSERT_SQL, slice).toArray().length;
    for (const values of alone) {
      inserted += this.sql.exec("INSERT OR IGNORE INTO members (idx, member_id, ok, value) VALUES (?, ?, ?, ?) RETURNING idx", ...(values as SqlStorageValue[])).toArray().length;
    }
    return inserted;
  }

  /** The body, planned with the header's results in header order. */
  private bodyEffects(init: ChordInit): Effect[] {
    const values = this.sql.exec<{ value: string }>("SELECT value FROM members ORDER BY idx").toArray();
    // Counted as the list will be sent: UTF-8 bytes, embedded in a delivery as a JSON string.
    const bytes = values.reduce((n, r) => n + jsonStringBytes(r.value) - 1, 2);
    if (bytes > MAX_MESSAGE_BYTES) {
      // Too large for a task message: the list goes to R2 (in carryOut) and the body gets a
      // pointer, which the consumer resolves before the body runs. Without R2 it fails now.
      if (this.env.RESULTS_R2 && PointerSigner.of(this.env)) return [{ kind: "apply", canvas: init.body, inherit: { ...init.inherit, prepend: [{ [RESULTS_IN_R2]: bytes }] } }];
      const error = {
        type: "PayloadTooLarge",
        message: `the chord's ${values.length} header results are ${bytes} bytes of JSON; a task message carries at most ${MAX_MESSAGE_BYTES} (bind an R2 bucket as RESULTS_R2 to pass larger lists)`,
      };
      return this.failBody(init, error);
    }
    const results = values.map((r) => JSON.parse(r.value) as unknown);
    return [{ kind: "apply", canvas: init.body, inherit: { ...init.inherit, prepend: [results] } }];
  }

  /** The body fails with ChordError naming the failed member; the rest and errbacks follow. */
  private failEffects(init: ChordInit, memberId: string, cause: TaskErrorInfo): Effect[] {
    // A nested group's gatherer reports the failed member and its error as they are: the chord
    // around it names that member (as Celery's ChordError names the failed leaf of a nested
    // GroupResult), never the gatherer's internal id.
    if (isGatherer(init.body, init.id)) return this.failBody(init, cause, memberId, memberId);
    return this.failBody(init, { type: "ChordError", message: `Dependency ${memberId} raised ${cause.type}('${cause.message}')` }, memberId);
  }

  /**
   * The body (every task of it) fails with `error`; the rest of its chain and its errbacks follow.
   * `reportAs`: the member id its own chord learns (default: the body's last task).
   */
  private failBody(init: ChordInit, error: TaskErrorInfo, memberId = init.inherit.parentId ?? "chord", reportAs?: string): Effect[] {
    const now = Date.now();
    const expires = canvasExpiresS(findApp(), init.body);
    const body = init.body;
    // Its parent is the header group, as when it runs (see ChordInit.inherit).
    const own = unrunWrites(body, "FAILURE", error, init.inherit.parentId, now, expires);
    const errbacks = collectErrbacks(body);
    // The errbacks start afresh, as a failed task's do (outcomeEffects): never with the body's
    // place in a chain or a chord, which would run the chain's rest after them (that rest has
    // failed) or report them to the chord around.
    const { parentId, rootId, stamps } = init.inherit;
    return [
      ...own,
      ...failureEffects({ id: reportAs ?? leafIds(body).at(-1) ?? memberId, rest: init.inherit.rest, chord: init.inherit.chord, linkError: errbacks, inherit: rootInherit({ parentId, rootId, stamps }) }, "FAILURE", error, now, expires),
    ];
  }

  /**
   * Carries out the fired chord's effects; the alarm retries with a doubling backoff. After
   * OUTBOX_MAX_ATTEMPTS tries (or at once when a broker refuses the body for good) the body
   * fails instead, with the reason, and that failure is carried out the same way; if even that
   * cannot be carried out, it is dropped, loudly, rather than retried for ever.
   */
  private async carryOut(): Promise<void> {
    if (!this.carrying) {
      this.carrying = this.carryOutOnce().finally(() => (this.carrying = null));
    }
    await this.carrying;
  }

  /** One try of carryOut. */
  private async carryOutOnce(): Promise<void> {
    const row = this.sql.exec<{ effects: string | null }>("SELECT effects FROM spec").toArray()[0];
    if (!row?.effects) return;
    try {
      const effects = await this.resultsToR2(JSON.parse(row.effects) as Effect[]);
      await runEffects(this.env, effects, planEnvOf(getApp(), Date.now()));
      this.sql.exec("UPDATE spec SET effects = NULL WHERE one = 1");
      await this.scheduleSweep();
    } catch (err) {
      await this.carryFailed(err);
    }
  }

  /** A failed try of carryOut: backed off, or the body failed (the chord given up). Reads/writes: carry, spec. */
  private async carryFailed(err: unknown): Promise<void> {
    const carry = this.sql.exec<{ attempts: number; gave_up: number }>("SELECT attempts, gave_up FROM carry").toArray()[0] ?? { attempts: 0, gave_up: 0 };
    const attempts = carry.attempts + 1;
    const forGood = err instanceof PayloadTooLargeError || attempts >= OUTBOX_MAX_ATTEMPTS;
    if (!forGood) {
      console.error(`edgery: chord body could not be applied (attempt ${attempts} of ${OUTBOX_MAX_ATTEMPTS}); retrying`, err);
      this.sql.exec("INSERT INTO carry (one, attempts) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET attempts = excluded.attempts", attempts);
      await this.ctx.storage.setAlarm(Date.now() + retryBackoffMs(attempts));
      return;
    }
    if (carry.gave_up) {
      console.error(`edgery: the failure of a chord body could not be carried out after ${attempts} attempts; dropped`, err);
      this.sql.exec("UPDATE spec SET effects = NULL WHERE one = 1");
      await this.scheduleSweep();
      return;
    }
    const init = JSON.parse(this.sql.exec<{ init: string }>("SELECT init FROM spec").one().init) as ChordInit;
    const reason = err instanceof Error ? err.message : String(err);
    const error: TaskErrorInfo =
      err instanceof PayloadTooLargeError ? { type: "PayloadTooLarge", message: reason } : { type: "EnqueueError", message: `the chord body could not be enqueued (${attempts} attempts): ${reason}` };
    console.error("edgery: chord body given up; it fails", err);
    this.sql.exec("UPDATE spec SET effects = ? WHERE one = 1", JSON.stringify(this.failBody(init, error)));
    this.sql.exec("INSERT INTO carry (one, attempts, gave_up) VALUES (1, 0, 1) ON CONFLICT (one) DO UPDATE SET attempts = 0, gave_up = 1");
    await this.carryOutOnce();
  }

  /**
   * Writes the header's results to R2 for a body that stands in for them, and puts the pointer in
   * their place. A retry writes it again under a fresh key; every key written is listed for
   * deletion once the body's results expire.
   */
  private async resultsToR2(effects: Effect[]): Promise<Effect[]> {
    const bucket = this.env.RESULTS_R2;
    if (!bucket || !effects.some(standsIn)) return effects;
    const init = JSON.parse(this.sql.exec<{ init: string }>("SELECT init FROM spec").one().init) as ChordInit;
    const values = this.sql.exec<{ value: string }>("SELECT value FROM members ORDER BY idx").toArray();
    const json = `[${values.map((r) => r.value).join(",")}]`;
    const signer = PointerSigner.of(this.env);
    if (!signer) throw new Error("no secret to sign R2 pointers with (set EDGERY_TOKEN or EDGERY_SIGNING_KEY)");
    const pointer = await offloadValue(bucket, signer, await chordListKey(init.id), json, new TextEncoder().encode(json).length);
    const expiresS = canvasExpiresS(findApp(), init.body);
    this.sql.exec("INSERT OR REPLACE INTO r2_args (key, expires_at) VALUES (?, ?)", pointer[POINTER_KEY], Date.now() + expiresS * 1000);
    return effects.map((e) => (standsIn(e) && e.kind === "apply" ? { ...e, inherit: { ...e.inherit, prepend: [pointer] } } : e));
  }

  /** Sets the alarm for the first R2 list due for deletion. */
  private async scheduleSweep(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM r2_args").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** Retries carrying out a fired chord's effects; deletes R2 lists whose time is up. */
  override async alarm(): Promise<void> {
    this.requests += 1;
    await this.carryOut();
    const bucket = this.env.RESULTS_R2;
    const due = this.sql.exec<{ key: string }>("SELECT key FROM r2_args WHERE expires_at <= ?", Date.now()).toArray().map((r) => r.key);
    if (due.length > 0) {
      // Without the binding (removed since) the objects are left to the bucket's lifecycle rule;
      // the rows go either way, or the alarm would fire for them again and again.
      if (bucket) await bucket.delete(due);
      this.sql.exec("DELETE FROM r2_args WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(due));
    }
    const pending = this.sql.exec<{ effects: string | null }>("SELECT effects FROM spec").toArray()[0]?.effects;
    if (!pending) await this.scheduleSweep();
  }
}

/** True for a body apply whose results are still to be written to R2. */
function standsIn(e: Effect): boolean {
  if (e.kind !== "apply") return false;
  const first = e.inherit.prepend[0];
  return typeof first === "object" && first !== null && RESULTS_IN_R2 in first;
}

/** The errbacks of a chord body: its own `link_error` (a chord's errbacks sit on its body). */
function collectErrbacks(body: ChordInit["body"]): ChordInit["body"][] {
  return body.options.link_error ?? [];
}
