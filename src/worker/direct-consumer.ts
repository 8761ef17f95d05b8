/**
 * The consumer of a `cloudflare-queue` broker: runs the tasks of one Queue message without
 * leases. Results and follow-ups (a chain's next step, chord reports, callbacks) are written
 * directly (outcomeEffects + runEffects); a retry is sent again with its countdown as the
 * Queue message's delay; a message not yet due (an eta over 12 h) is sent again for the next
 * hop. The hard time limit is the task's timer (runTask), and `[limits] cpu_ms` deployed.
 *
 * Large values and `result_extended` work as with the leased consumer (src/worker/consumer.ts).
 *
 * Events: with no QueueDO to announce them, the consumer announces `task-received` and
 * `task-started` itself (announceBegun), awaited before the tasks run, while the event feed
 * listens. It learns that by asking the EventsDO, at most once per UNTOLD_ANSWER_MS (1 s) per
 * isolate while nobody listens (nobody can tell an isolate of a new subscriber): a subscriber
 * may miss those two events of the tasks begun in its first second (src/runtime/event-feed.ts).
 *
 * Delivery is at least once: if this throws, the Queue delivers the whole message again and
 * its tasks may run twice (results are first-final-wins, enqueues of follow-ups are by id).
 */
import { hasExpired, type TaskMessage } from "../protocol/message.js";
import { outcomeEffects, stateWrite, type Effect } from "../canvas/effects.js";
import { queueEnded, revokedEnding, stamped } from "../protocol/outcome.js";
import { runEffects } from "../apply/run-effects.js";
import { planEnvOf } from "../app/plan-env.js";
import { resultStub } from "../runtime/stubs.js";
import { announceBegun, FeedListening } from "../runtime/event-feed.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { runDelivered } from "./run-delivered.js";
import { TaskAbort } from "./execute.js";
import { retriedMessage } from "./retry.js";
import { resultPolicyOf } from "../app/result-policy.js";
import { runSettingsOf } from "../app/task-settings.js";
import { CloudflareQueueBroker, isRevokedIn, revokedIn, type DirectBody } from "../brokers/cloudflare-queue-broker.js";
import { registryOf } from "../brokers/registry.js";

/** A message arriving this much before its eta still runs (the Queue's delay is in whole seconds). */
const EARLY_MS = 1000;

/** This isolate's view of the event feed (it asks; nobody tells it). */
const feed = new FeedListening((events) => events.listensNow());

/** What running one Queue message comes to. */
export interface DirectRun {
  ran: number;
  skipped: number;
  resent: number;
}

/** Runs one Queue message of a cloudflare-queue broker. Throws when the Queue should deliver it again. */
export async function consumeDirect(env: EdgeryEnv, app: App, body: DirectBody, attempts = 1): Promise<DirectRun> {
  const registry = registryOf(env, app);
  const broker = registry.brokerOf(body.queue);
  const planEnv = () => planEnvOf(app, Date.now());
  if (body.effects && body.effects.length > 0) await runEffects(env, body.effects, planEnv());
  const tasks = body.tasks ?? [];
  if (tasks.length === 0) return { ran: 0, skipped: 0, resent: 0 };

  const now = Date.now();
  const revokedIds = await revokedIn(env.RESULTS_KV, body.queue);
  const effects: Effect[] = [];
  const later: TaskMessage[] = [];
  const toRun: TaskMessage[] = [];
  let skipped = 0;
  for (const m of tasks) {
    const expires = runSettingsOf(app, m).resultExpiresS;
    if (hasExpired(m.expires, now)) {
      effects.push(...outcomeEffects(m, queueEnded(revokedEnding("expired"), now), expires));
      skipped += 1;
    } else if (await isRevokedIn(revokedIds, body.queue, m.id)) {
      effects.push(...outcomeEffects(m, queueEnded(revokedEnding("revoked"), now), expires));
      skipped += 1;
    } else if (m.eta !== null && m.eta > now + EARLY_MS) {
      later.push(m);
    } else {
      toRun.push(m);
    }
  }

  // task-received and task-started reach each task's result shard before it can change state.
  if (toRun.length > 0 && (await feed.listening(env, Date.now()))) {
    await announceBegun(env, toRun.map((m) => ({ m, worker: app.name })), Date.now());
  }
  await Promise.all(
    toRun.map(async (m) => {
      if (runSettingsOf(app, m).trackStarted) await resultStub(env, m.id).write([stateWrite(m, "STARTED", app.name, { started_at: Date.now() })]);
      const leased = { lease: "", deadline: 0, redelivered: attempts > 1, message: m };
      const ran = await runDelivered(env, app, leased, new TaskAbort(), {
        updateState: async (state, meta) => {
          await resultStub(env, m.id).write([stateWrite(m, state, app.name, { meta, progress: true })]);
        },
        acknowledge: async () => undefined,
      });
      const o = ran.result;
      if (o.kind === "retry") {
        const retried = retriedMessage(m, o.countdownS, ran.doneAt);
        later.push(retried);
        effects.push({ kind: "store", write: stateWrite(m, "RETRY", app.name, { error: o.error, result: null }) });
        return;
      }
      const outcome = stamped(o, { worker: app.name, startedAt: ran.startedAt, doneAt: ran.doneAt });
      effects.push(...outcomeEffects(m, outcome, runSettingsOf(app, m).resultExpiresS, resultPolicyOf(app, m.task).extended));
    }),
  );

  // Retries and not-yet-due messages go back onto the Queue with their delay; if that fails,
  // the whole message is delivered again (its tasks may run again: at least once).
  if (later.length > 0) await broker.enqueue(later);
  try {
    await runEffects(env, effects, planEnv());
  } catch (err) {
    // Keep the follow-ups without running the tasks again: send them as their own message.
    if (!(broker instanceof CloudflareQueueBroker)) throw err;
    console.error("edgery: follow-ups of a direct batch failed; sent again", err);
    await broker.sendEffects(body.queue, effects);
  }
  return { ran: toRun.length, skipped, resent: later.length };
}
