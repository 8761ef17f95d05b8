/**
 * Dispatch gathering: under load, a queue shard waits a moment before its next dispatch so that
 * one delivery carries many tasks (begin and settle are paid per delivery, not per task). The
 * rule of when it waits and when it stops is here; the QueueDO supplies its counts.
 */
import { DEFAULT_DISPATCH_GATHER_MS, MAX_DISPATCH_GATHER_MS } from "../protocol/constants.js";
import type { EdgeryEnv } from "./env.js";
import { IntSetting } from "./int-setting.js";

/** EDGERY_DISPATCH_GATHER_MS (read on every pump; parsed once per value). */
const GATHER_SETTING = new IntSetting("EDGERY_DISPATCH_GATHER_MS", 0, MAX_DISPATCH_GATHER_MS, DEFAULT_DISPATCH_GATHER_MS);

/**
 * The deployment's gather (`EDGERY_DISPATCH_GATHER_MS`, default {@link DEFAULT_DISPATCH_GATHER_MS}):
 * an integer from 0 (off) to {@link MAX_DISPATCH_GATHER_MS}. Anything else is logged once and the
 * default is used: a misspelt setting must not stop a queue's dispatches.
 */
export function dispatchGatherMs(env: Pick<EdgeryEnv, "EDGERY_DISPATCH_GATHER_MS">): number {
  return GATHER_SETTING.read(env.EDGERY_DISPATCH_GATHER_MS, (message) => {
    console.error(`${message}; using ${DEFAULT_DISPATCH_GATHER_MS}`);
    return DEFAULT_DISPATCH_GATHER_MS;
  });
}

/** What a shard holds when it is about to dispatch. */
export interface GatherCounts {
  /** Its tasks leased (delivered, not settled). */
  leased: number;
  /** Its window: how many may be leased at once. */
  window: number;
  /** Most tasks one delivery carries. */
  prefetch: number;
}

/**
 * How many waiting tasks end a shard's gather (0: it does not gather at all): none while nothing
 * is leased (an idle shard sends at once) or while its window is full (nothing could be sent);
 * else one delivery's worth, its prefetch or the window's free room if that is smaller. A shard
 * gathers while fewer than that many wait; the QueueDO asks whether that many wait without
 * counting the rest of a backlog.
 */
export function gatherEnough(c: GatherCounts): number {
  if (c.leased === 0) return 0;
  const free = c.window - c.leased;
  return free > 0 ? Math.min(c.prefetch, free) : 0;
}
