/**
 * Carries effects out against the Durable Objects, batched: one call per queue, per result
 * shard and per chord. Every receiver is idempotent (enqueue by id, first final result wins,
 * a chord member counts once), so running the same effects twice is harmless.
 */
import type { ChordReport, Effect, ResultWrite } from "../canvas/effects.js";
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
  for (const e of effects) {
    if (e.kind === "store") batch.writes.push(e.write);
    else if (e.kind === "chord") batch.reports.push({ chordId: e.chordId, report: e.report });
    else {
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

/** Plans and sends effects. */
export async function runEffects(env: EdgeryEnv, effects: Effect[], planEnv: PlanEnv): Promise<void> {
  if (effects.length === 0) return;
  await sendBatch(env, batchEffects(effects, planEnv));
}
