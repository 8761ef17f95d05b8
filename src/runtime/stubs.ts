/**
 * Finding the Durable Objects: a queue's QueueDO by name, a result's ResultDO shard by id,
 * a chord's ChordDO by chord id, the directory of queues, an idempotency key's claim.
 */
import { RESULT_SHARDS } from "../protocol/index.js";
import type { EdgeryEnv } from "./env.js";

/** The QueueDO of a queue. */
export function queueStub(env: EdgeryEnv, queue: string) {
  return env.QUEUE_DO.get(env.QUEUE_DO.idFromName(queue));
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

/** The ResultDO shard number that owns an id. */
export function shardOf(id: string): number {
  return hash(id) % RESULT_SHARDS;
}

/** The ResultDO shard that owns an id's result (or group record). */
export function resultStub(env: EdgeryEnv, id: string) {
  return resultShard(env, shardOf(id));
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
