/**
 * Carries effects out against the Durable Objects, batched: one call per queue, per result
 * shard and per chord. Every receiver is idempotent (enqueue by id, first final result wins,
 * a chord member counts once), so running the same effects twice is harmless.
 */
import { endingEffects, ownResultWrite, unclaimedEffects, type ChordReport, type Effect, type EndingEffect, type ResultWrite } from "../canvas/effects.js";
import type { TaskResult } from "../protocol/index.js";
import type { ResultWriteAnswer } from "../protocol/rpc.js";
import { plan, type ChordInit, type PlanEnv } from "../canvas/plan.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { TaskMessage } from "../protocol/message.js";
import { chordStub, resultShard, shardOf } from "../runtime/stubs.js";
import { registryOf } from "../brokers/registry.js";
import { groupBy } from "../runtime/group-by.js";


/** What a batch of effects comes to, per receiver. */
export interface EffectBatch {
  messages: TaskMessage[];
  chords: ChordInit[];
  writes: ResultWrite[];
  reports: Array<{ chordId: string; report: ChordReport }>;
}

/** Plans the `apply` effects and sorts everything by receiver (pure). */
export function batchEffects(effects: Effect[], env: PlanEnv): EffectBatch {
  const batch: EffectBatch = { messages: [], chords: [], writes: [], reports: [] };
  for (const e of effects.flatMap((x) => (x.kind === "ending" ? unclaimedEffects(x) : [x]))) {
    if (e.kind === "store") batch.writes.push(e.write);
    else if (e.kind === "chord") batch.reports.push({ chordId: e.chordId, report: e.report });
    else if (e.kind === "apply") {
      const p = plan(e.canvas, e.inherit, env);
      batch.messages.push(...p.messages);
      batch.chords.push(...p.chords);
    }
  }
  return batch;
}

/** Sends a batch: chords open first, then messages, result writes and chord reports. */
export async function sendBatch(env: EdgeryEnv, batch: EffectBatch): Promise<void> {
  const registry = registryOf(env);
  await Promise.all(batch.chords.map((c) => chordStub(env, c.id).open(c)));
  await Promise.all([
    // Each queue's messages through its broker (the QueueDO unless a route puts the queue elsewhere).
    ...[...groupBy(batch.messages, (m) => m.queue)].map(([queue, msgs]) => registry.brokerOf(queue).enqueue(msgs)),
    ...[...groupBy(batch.writes, (w) => shardOf(env, w.id))].map(([shard, writes]) => resultShard(env, shard).write(writes)),
  ]);
  await Promise.all(
    [...groupBy(batch.reports, (r) => r.chordId)].map(([chordId, rs]) => chordStub(env, chordId).report(rs.map((r) => r.report))),
  );
}

/** Plans and sends effects (endings claimed first: claimEndings). */
export async function runEffects(env: EdgeryEnv, effects: Effect[], planEnv: PlanEnv): Promise<void> {
  if (effects.length === 0) return;
  await sendBatch(env, batchEffects(await claimEndings(env, effects), planEnv));
}

/**
 * Writes the result of each `ending` effect first (one call per result shard), and puts in its
 * place the follow-ups of the result its shard kept: the ending's own, or a final result its
 * consumer wrote ahead (see EndingEffect). Other effects pass as they are.
 */
export async function claimEndings(env: EdgeryEnv, effects: Effect[]): Promise<Effect[]> {
  const endings = effects.filter((e): e is EndingEffect => e.kind === "ending");
  if (endings.length === 0) return effects;
  const writes = endings.flatMap((e) => ownResultWrite(e.message, e.outcome, e.resultExpires, e.extended) ?? []);
  const kept = new Map<string, TaskResult>();
  await Promise.all(
    [...groupBy(writes, (w) => shardOf(env, w.id))].map(async ([shard, ws]) => {
      const answer = await (resultShard(env, shard).write(ws) as Promise<ResultWriteAnswer>);
      for (const r of answer.kept ?? []) kept.set(r.id, r);
    }),
  );
  return effects.flatMap((e) => (e.kind === "ending" ? endingEffects(e, kept.get(e.message.id) ?? null) : [e]));
}
