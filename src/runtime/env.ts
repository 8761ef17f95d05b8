/**
 * The bindings edgery needs in a Worker's `Env` (see the edgery block of wrangler.toml).
 */
import type { QueueDO } from "../../durable-objects/queue-do.js";
import type { ResultDO } from "../../durable-objects/result-do.js";
import type { ChordDO } from "../../durable-objects/chord-do.js";
import type { EventsDO } from "../../durable-objects/events-do.js";
import type { ScheduleDO } from "../../durable-objects/schedule-do.js";
import type { DirectoryDO } from "../../durable-objects/directory-do.js";
import type { IdempotencyDO } from "../../durable-objects/idempotency-do.js";
import type { DeliveryBody } from "../protocol/message.js";

/** edgery's bindings and settings. */
export interface EdgeryEnv {
  QUEUE_DO: DurableObjectNamespace<QueueDO>;
  RESULT_DO: DurableObjectNamespace<ResultDO>;
  CHORD_DO: DurableObjectNamespace<ChordDO>;
  /** The list of queues that hold something (listing, metrics, dead letters ask each). */
  DIRECTORY_DO: DurableObjectNamespace<DirectoryDO>;
  /** The claims of `idempotency_key`s, one instance per key. */
  IDEMPOTENCY_DO: DurableObjectNamespace<IdempotencyDO>;
  /** The live event feed (`GET /v1/events`); without it the feed answers 503 not_configured. */
  EVENTS_DO?: DurableObjectNamespace<EventsDO>;
  /** Run times of the app's schedules; needed only by an app that registers schedules. */
  SCHEDULE_DO?: DurableObjectNamespace<ScheduleDO>;
  TASKS: Queue<DeliveryBody>;
  RESULTS_KV: KVNamespace;
  /** The `d1` result backend (queryable, persistent results); without it `GET /v1/results` answers 422. */
  RESULTS_DB?: D1Database;
  /** Large results (over `result_r2_threshold`) and the `r2` backend; without it they stay inline up to 1.5 MiB. */
  RESULTS_R2?: R2Bucket;
  /**
   * This Worker's EdgeryDelivery entrypoint (a service binding with `entrypoint = "EdgeryDelivery"`):
   * in local dev the consumer hands each delivery to a fresh invocation, and a nearly idle QueueDO
   * hands its deliveries straight to it (direct dispatch); ctx.exports is used first.
   */
  SELF?: Fetcher;
  /** A token with every scope (`admin`); see src/runtime/tokens.ts. */
  EDGERY_TOKEN?: string;
  /**
   * Signs the R2 pointers of large values (src/results/pointer.ts); defaults to EDGERY_TOKEN.
   * Set it when the token may rotate: a pointer signed with another secret is plain data.
   */
  EDGERY_SIGNING_KEY?: string;
  /** Scoped tokens, JSON: token → scope or list of scopes (`enqueue`, `read`, `admin`, `peer`). */
  EDGERY_TOKENS?: string;
  /** Origins allowed to call the API from a browser (comma-separated, or `*`); CORS is off without it. */
  EDGERY_CORS_ORIGINS?: string;
  /**
   * How many ResultDO shards results are spread over (default 8; at most 1,024). Raise it for a
   * high single-send rate: each shard serves about 1,000 requests/s. Changing it on a deployment
   * that holds results strands them (see `resultShardCount` in src/runtime/stubs.ts).
   */
  EDGERY_RESULT_SHARDS?: string;
  /**
   * How long (ms, 0-1,000; default 10) a busy queue shard gathers arriving tasks before its next
   * dispatch, so one delivery carries many (see `dispatchGatherMs` in src/runtime/gather.ts).
   * 0 turns gathering off; an idle shard never waits.
   */
  EDGERY_DISPATCH_GATHER_MS?: string;
  /** "true" in local dev: demo tasks on, the dev tokens when none is configured. */
  EDGERY_DEV?: string;
  /** Fault harness, read only when EDGERY_DEV is "true": "true" processes every delivery twice. */
  EDGERY_CHAOS_DUPLICATE?: string;
  /**
   * Direct dispatch (src/runtime/direct-dispatch.ts): a queue with at most this many tasks leased
   * hands a delivery straight to a consumer by RPC instead of the Cloudflare Queue. "0" turns it
   * off; default 8.
   */
  EDGERY_DIRECT_DISPATCH?: string;
  /** Fault harness, read only when EDGERY_DEV is "true": every result write waits this many ms (src/runtime/chaos.ts). */
  EDGERY_CHAOS_SLOW_RESULTS_MS?: string;
}
