/**
 * The bindings edgery needs in a Worker's `Env` (see the edgery block of wrangler.toml).
 */
import type { QueueDO } from "../../durable-objects/queue-do.js";
import type { ResultDO } from "../../durable-objects/result-do.js";
import type { ChordDO } from "../../durable-objects/chord-do.js";
import type { EventsDO } from "../../durable-objects/events-do.js";
import type { ScheduleDO } from "../../durable-objects/schedule-do.js";
import type { DeliveryBody } from "../protocol/message.js";

/** edgery's bindings and settings. */
export interface EdgeryEnv {
  QUEUE_DO: DurableObjectNamespace<QueueDO>;
  RESULT_DO: DurableObjectNamespace<ResultDO>;
  CHORD_DO: DurableObjectNamespace<ChordDO>;
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
  /** This Worker itself: the consumer hands each delivery to a fresh invocation. */
  SELF?: Fetcher;
  /** The API token; in local dev it defaults to `dev-token`. */
  EDGERY_TOKEN?: string;
  /** "true" in local dev: demo tasks on, default token. */
  EDGERY_DEV?: string;
  /** Fault harness, read only when EDGERY_DEV is "true": "true" processes every delivery twice. */
  EDGERY_CHAOS_DUPLICATE?: string;
}
