/**
 * The bindings edgery needs in a Worker's `Env` (see the edgery block of wrangler.toml).
 */
import type { QueueDO } from "../durable-objects/queue-do.js";
import type { ResultDO } from "../durable-objects/result-do.js";
import type { ChordDO } from "../durable-objects/chord-do.js";
import type { DeliveryBody } from "./broker/message.js";

/** edgery's bindings and settings. */
export interface EdgeryEnv {
  QUEUE_DO: DurableObjectNamespace<QueueDO>;
  RESULT_DO: DurableObjectNamespace<ResultDO>;
  CHORD_DO: DurableObjectNamespace<ChordDO>;
  TASKS: Queue<DeliveryBody>;
  RESULTS_KV: KVNamespace;
  /** This Worker itself: the consumer hands each delivery to a fresh invocation. */
  SELF?: Fetcher;
  /** The API token; in local dev it defaults to `dev-token`. */
  EDGERY_TOKEN?: string;
  /** "true" in local dev: demo tasks on, default token. */
  EDGERY_DEV?: string;
}
