/**
 * ChordDO: the join of one chord. Each header member reports once (`report` is idempotent per
 * index, so a redelivered member cannot count twice); when every member is in, the body is
 * applied exactly once with the results in header order. A failed member fails the body at once
 * with ChordError naming the member, and the chord's errbacks fire once. Nothing polls.
 */
import { DurableObject } from "cloudflare:workers";
import { DEFAULT_RESULT_EXPIRES_S, QUEUE_MESSAGE_BUDGET_BYTES, type TaskErrorInfo } from "../src/protocol/index.js";
import { failureEffects, type ChordReport, type Effect } from "../src/canvas/effects.js";
import { leafIds } from "../src/canvas/handle.js";
import type { ChordInit } from "../src/canvas/plan.js";
import { runEffects } from "../src/broker/run-effects.js";
import { planEnvOf } from "../src/broker/plan-env.js";
import { getApp } from "../src/runtime.js";
import type { EdgeryEnv } from "../src/env.js";

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
`;

/** One chord's join counter. */
export class ChordDO extends DurableObject<EdgeryEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(CHORD_SCHEMA);
    });
  }

  /** Opens the chord (idempotent: a second open of the same chord changes nothing). */
  async open(init: ChordInit): Promise<void> {
    this.sql.exec("INSERT OR IGNORE INTO spec (one, init) VALUES (1, ?)", JSON.stringify(init));
  }

  /**
   * Records member reports. Writes each index once; when the last one is in (or the first
   * failure arrives) marks the chord fired and returns the body's effects, then carries them out.
   */
  async report(reports: ChordReport[]): Promise<{ fired: boolean }> {
    let effects: Effect[] | null = null;
    this.ctx.storage.transactionSync(() => {
      const spec = this.sql.exec<{ init: string; fired: number }>("SELECT init, fired FROM spec").toArray()[0];
      if (!spec) throw new Error("chord reported before it was opened");
      for (const r of reports) {
        this.sql.exec(
          "INSERT OR IGNORE INTO members (idx, member_id, ok, value) VALUES (?, ?, ?, ?)",
          r.index,
          r.memberId,
          r.ok ? 1 : 0,
          JSON.stringify(r.ok ? (r.value ?? null) : r.error),
        );
      }
      if (spec.fired) return;
      const init = JSON.parse(spec.init) as ChordInit;
      const failed = this.sql.exec<{ member_id: string; value: string }>("SELECT member_id, value FROM members WHERE ok = 0 ORDER BY idx LIMIT 1").toArray()[0];
      const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").one().n;
      if (failed) effects = this.failEffects(init, failed.member_id, JSON.parse(failed.value) as TaskErrorInfo);
      else if (count >= init.size) effects = this.bodyEffects(init);
      if (effects) this.sql.exec("UPDATE spec SET fired = 1, effects = ? WHERE one = 1", JSON.stringify(effects));
    });
    if (!effects) return { fired: false };
    await this.carryOut();
    return { fired: true };
  }

  /** The body, planned with the header's results in header order. */
  private bodyEffects(init: ChordInit): Effect[] {
    const values = this.sql.exec<{ value: string }>("SELECT value FROM members ORDER BY idx").toArray();
    const bytes = values.reduce((n, r) => n + r.value.length + 1, 2);
    if (bytes > QUEUE_MESSAGE_BUDGET_BYTES) {
      // No Queue message could carry the body with this list: it fails now, with a clear error.
      const error = { type: "PayloadTooLarge", message: `the chord's ${values.length} header results are ${bytes} bytes of JSON; a task message carries at most ${QUEUE_MESSAGE_BUDGET_BYTES}` };
      return this.failBody(init, error);
    }
    const results = values.map((r) => JSON.parse(r.value) as unknown);
    return [{ kind: "apply", canvas: init.body, inherit: { ...init.inherit, prepend: [results] } }];
  }

  /** The body fails with ChordError naming the failed member; the rest and errbacks follow. */
  private failEffects(init: ChordInit, memberId: string, cause: TaskErrorInfo): Effect[] {
    return this.failBody(init, { type: "ChordError", message: `Dependency ${memberId} raised ${cause.type}('${cause.message}')` }, memberId);
  }

  /** The body (every task of it) fails with `error`; the rest of its chain and its errbacks follow. */
  private failBody(init: ChordInit, error: TaskErrorInfo, memberId = init.inherit.parentId ?? "chord"): Effect[] {
    const now = Date.now();
    const expires = DEFAULT_RESULT_EXPIRES_S;
    const body = init.body;
    const own: Effect[] = leafIds(body).map((id) => ({ kind: "store", write: { id, state: "FAILURE", error, result: null, date_done: now, expires_s: expires } }));
    const errbacks = collectErrbacks(body);
    return [
      ...own,
      ...failureEffects({ id: leafIds(body).at(-1) ?? memberId, rest: init.inherit.rest, chord: init.inherit.chord, linkError: errbacks, inherit: { ...init.inherit, prepend: [] } }, "FAILURE", error, now, expires),
    ];
  }

  /** Carries out the fired chord's effects; the alarm retries until they are done. */
  private async carryOut(): Promise<void> {
    const row = this.sql.exec<{ effects: string | null }>("SELECT effects FROM spec").toArray()[0];
    if (!row?.effects) return;
    try {
      await runEffects(this.env, JSON.parse(row.effects) as Effect[], planEnvOf(getApp(), Date.now()));
      this.sql.exec("UPDATE spec SET effects = NULL WHERE one = 1");
    } catch (err) {
      console.error("edgery: chord body could not be applied; retrying", err);
      await this.ctx.storage.setAlarm(Date.now() + 1000);
    }
  }

  /** Retries carrying out a fired chord's effects. */
  override async alarm(): Promise<void> {
    await this.carryOut();
  }
}

/** The errbacks of a chord body: its own `link_error` (a chord's errbacks sit on its body). */
function collectErrbacks(body: ChordInit["body"]): ChordInit["body"][] {
  return body.options.link_error ?? [];
}
