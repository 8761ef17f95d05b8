/**
 * Finding the Durable Objects: a queue's QueueDO by name, a result's ResultDO shard by id,
 * a chord's ChordDO by chord id, the directory of queues, an idempotency key's claim.
 */
import { DEFAULT_RESULT_SHARDS, MAX_RESULT_SHARDS, QUEUE_SHARD_SEPARATOR } from "../protocol/index.js";
import { IntSetting } from "./int-setting.js";
import type { QueueLayout } from "../app/queue-config.js";
import type { EdgeryEnv } from "./env.js";

/** The QueueDO of a queue (its shard 0: the whole queue unless it is sharded). */
export function queueStub(env: EdgeryEnv, queue: string) {
  return env.QUEUE_DO.get(env.QUEUE_DO.idFromName(queue));
}

/**
 * The object name of a queue's shard: the queue's own name for shard 0 (so a queue that grows
 * from one shard keeps its object), `<queue>#<k>` for the others (`#` is never in a queue name).
 */
export function queueShardName(queue: string, shard: number): string {
  return shard === 0 ? queue : `${queue}${QUEUE_SHARD_SEPARATOR}${shard}`;
}

/** The QueueDO of one shard of a queue, created (on first use) where the layout's hint says. */
export function queueShardStub(env: EdgeryEnv, queue: string, shard: number, layout: QueueLayout) {
  const id = env.QUEUE_DO.idFromName(queueShardName(queue, shard));
  return layout.locationHint ? env.QUEUE_DO.get(id, { locationHint: layout.locationHint }) : env.QUEUE_DO.get(id);
}

/** The QueueDO that a delivery names (the object that leased its tasks): by its id as a string. */
export function queueObjectStub(env: EdgeryEnv, objectId: string) {
  return env.QUEUE_DO.get(env.QUEUE_DO.idFromString(objectId));
}

/** The shard of a queue that a task id goes to (the same hash as the result shards). */
export function queueShardOf(id: string, shards: number): number {
  return shards <= 1 ? 0 : hash(id) % shards;
}

/** FNV-1a, for a stable shard number from an id. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** EDGERY_RESULT_SHARDS (read on every call; parsed once per value). */
const RESULT_SHARDS_SETTING = new IntSetting("EDGERY_RESULT_SHARDS", 1, MAX_RESULT_SHARDS, DEFAULT_RESULT_SHARDS);

/**
 * How many ResultDO shards results are spread over: the deployment's `EDGERY_RESULT_SHARDS`
 * (an integer from 1 to MAX_RESULT_SHARDS), DEFAULT_RESULT_SHARDS (8) when unset. The one home of
 * the id → result shard rule ({@link shardOf}); every Worker that binds the same RESULT_DO
 * namespace (an app and the apps that write results into it) must set the same value.
 *
 * Changing it on a deployment that holds results is a migration: most ids then hash to another
 * shard, so results, progress, group records and `?wait=` waiters written under the old count
 * are no longer found (they read PENDING, or unknown) until they expire; tasks in flight across
 * the change lose their earlier states. Set it before the first task, or change it only when the
 * stored results are no longer needed (docs/deploy.md).
 * @throws Error when the value is set but not an integer from 1 to MAX_RESULT_SHARDS.
 */
export function resultShardCount(env: Pick<EdgeryEnv, "EDGERY_RESULT_SHARDS">): number {
  return RESULT_SHARDS_SETTING.read(env.EDGERY_RESULT_SHARDS, (message) => {
    throw new Error(message);
  });
}

/** The ResultDO shard number that owns an id (of {@link resultShardCount} shards). */
export function shardOf(env: Pick<EdgeryEnv, "EDGERY_RESULT_SHARDS">, id: string): number {
  return hash(id) % resultShardCount(env);
}

/** The ResultDO shard that owns an id's result (or group record). */
export function resultStub(env: EdgeryEnv, id: string) {
  return resultShard(env, shardOf(env, id));
}

/** Every ResultDO shard, in order (for the routes and objects that ask them all). */
export function allResultShards(env: EdgeryEnv) {
  return Array.from({ length: resultShardCount(env) }, (_, i) => resultShard(env, i));
}

/** A ResultDO shard by number. */
export function resultShard(env: EdgeryEnv, shard: number) {
  return env.RESULT_DO.get(env.RESULT_DO.idFromName(`shard-${shard}`));
}

/** The directory: the DirectoryDO that lists the queues holding something. */
export function directoryStub(env: EdgeryEnv) {
  return env.DIRECTORY_DO.get(env.DIRECTORY_DO.idFromName("queues"));
}

/** The claim of one idempotency key. */
export function idempotencyStub(env: EdgeryEnv, key: string) {
  return env.IDEMPOTENCY_DO.get(env.IDEMPOTENCY_DO.idFromName(key));
}

/** A chord's ChordDO. */
export function chordStub(env: EdgeryEnv, chordId: string) {
  return env.CHORD_DO.get(env.CHORD_DO.idFromName(chordId));
}

/** The event feed's EventsDO (one instance), or null when the Worker does not bind it. */
export function eventsStub(env: EdgeryEnv) {
  return env.EVENTS_DO ? env.EVENTS_DO.get(env.EVENTS_DO.idFromName("events")) : null;
}

/** The ScheduleDO (one instance), or null when the Worker does not bind it. */
export function scheduleStub(env: EdgeryEnv) {
  return env.SCHEDULE_DO ? env.SCHEDULE_DO.get(env.SCHEDULE_DO.idFromName("schedules")) : null;
}

/**
 * Whether an RPC failed because the object that received it runs code without `method` (any
 * method when none is named): a version of edgery older than the caller's, as during a deploy
 * that has not reached the object yet or a gradual deployment that keeps it on the old version.
 * workerd's own error for it (a TypeError, "The RPC receiver does not implement the method
 * "…"."); anything else is not.
 */
export function isMissingRpcMethod(err: unknown, method?: string): boolean {
  if (!(err instanceof TypeError)) return false;
  return method === undefined ? /does not implement the method "[^"]+"/.test(err.message) : err.message.includes(`does not implement the method "${method}"`);
}
