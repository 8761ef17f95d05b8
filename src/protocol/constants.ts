/**
 * Platform and product limits, in one place. Every number that a route, a Durable Object or the
 * client checks against lives here, so that the contract and the code cannot drift apart.
 */

/** Lowest task priority. */
export const MIN_PRIORITY = 0;
/** Highest (most urgent) task priority, as in Celery on RabbitMQ. */
export const MAX_PRIORITY = 9;
/** Name of the queue a task goes to when neither its options nor a route choose one. */
export const DEFAULT_QUEUE = "default";
/** Largest request body the API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of a refused (too large) body is read and discarded before the 413, so that a client
 * still sending it gets the answer, not a reset connection (a longer declared body is not read).
 */
export const MAX_DRAIN_BYTES = 32 * 1024 * 1024;
/** How long a refused body of unknown length (chunked; it may never end) is drained before the 413. */
export const DRAIN_UNKNOWN_MS = 1_000;
/**
 * Largest Cloudflare Queue message: UTF-8 bytes of the serialized message, metadata included
 * (not 128 KiB, and not a string's `.length`).
 */
export const QUEUE_MESSAGE_MAX_BYTES = 128_000;
/** Bytes of a Queue message kept for the platform's own metadata (about 100 are used). */
export const QUEUE_MESSAGE_METADATA_BYTES = 256;
/** Largest body edgery puts in one Queue message: the limit less the metadata. */
export const QUEUE_BODY_MAX_BYTES = QUEUE_MESSAGE_MAX_BYTES - QUEUE_MESSAGE_METADATA_BYTES;
/** Most bytes one `sendBatch` call may carry (256 KB), metadata included. */
export const QUEUE_SEND_BATCH_MAX_BYTES = 256_000;
/**
 * Bytes a delivery adds around one task's message beyond the message's own escaped JSON: the
 * delivery envelope (queue name), the lease, deadline and redelivered fields, and what a queue
 * may add to a message later (a rate-limit slot, a retry count).
 */
export const DELIVERY_TASK_OVERHEAD_BYTES = 512;
/**
 * Largest task message apply accepts, counted as it is sent: UTF-8 bytes of its JSON embedded as
 * a JSON string (every `"` and `\` doubled). Such a message fits one Queue message alone.
 */
export const MAX_MESSAGE_BYTES = QUEUE_BODY_MAX_BYTES - DELIVERY_TASK_OVERHEAD_BYTES;
/** Most messages in one Cloudflare Queue batch, and most tasks packed into one Queue message. */
export const QUEUE_BATCH_MAX = 100;
/** Default `prefetch` of a queue: how many of its tasks one delivery may carry. */
export const DEFAULT_PREFETCH = QUEUE_BATCH_MAX;
/** Largest `prefetch` (a delivery is one Queue message: it carries at most this many tasks). */
export const MAX_PREFETCH = QUEUE_BATCH_MAX;
/**
 * Latest time a Durable Object alarm may be set to (`setAlarm` throws past the year 2189); a
 * queue's alarm is clamped to it.
 */
export const ALARM_MAX_EPOCH_MS = Date.UTC(2189, 0, 1);
/**
 * Latest `eta` a signature may ask for (epoch ms): well inside what a queue's alarm can hold
 * (ALARM_MAX_EPOCH_MS); later is `422 invalid_signature`.
 */
export const MAX_ETA_EPOCH_MS = Date.UTC(2150, 0, 1);
/** Longest `countdown` a signature may ask for (seconds): a hundred years; longer is 422. */
export const MAX_COUNTDOWN_S = 100 * 365 * 24 * 60 * 60;
/** Attempts an outbox row (a transition's follow-ups) gets before its tasks end FAILURE. */
export const OUTBOX_MAX_ATTEMPTS = 10;
/** First wait before a failed outbox row or Queue send is tried again (it doubles each time). */
export const RETRY_BACKOFF_FIRST_MS = 1_000;
/** Longest wait between two tries of a failing outbox row or Queue send. */
export const RETRY_BACKOFF_MAX_MS = 5 * 60_000;
/** Bytes of JSON bound as one SQL parameter or stored in one row (Cloudflare limits a string to 2 MB). */
export const SQL_PARAM_BUDGET_BYTES = 1_000_000;
/**
 * Longest JSON text (characters) of a row inserted in a batch (`json_each` over one bound array):
 * a longer one is inserted alone, as its text escaped once more inside the batch could pass the
 * 2 MB limit of a bound string (see insertBatches in src/runtime/pack.ts).
 */
export const SQL_BATCHED_ROW_MAX_CHARS = 64 * 1024;
/** A queue name: 1 to 128 letters, digits and `. _ : -`. */
export const QUEUE_NAME = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Longest task, group or chord id (characters) a signature may give (`task_id`, `group_id`,
 * `chord_id`) and a peer's message may carry: an id longer than this names no task.
 */
export const MAX_TASK_ID_CHARS = 255;
/** Most signatures in one `POST /v1/apply/bulk`. */
export const MAX_BULK = 1000;
/** Deepest canvas nesting the API accepts. */
export const MAX_CANVAS_DEPTH = 32;
/** Most task nodes one canvas may expand to (a chord of 10,000 members must fit). */
export const MAX_CANVAS_TASKS = 20_000;
/**
 * Deepest nesting of arrays/objects in one signature's JSON (args, kwargs, options, canvas):
 * deeper values would overflow the stack of the code that walks them (a 422, not a 503).
 */
export const MAX_JSON_DEPTH = 512;
/** Largest number of seconds an option takes (countdown, expires, time limits, result_expires): 10 years. */
export const MAX_OPTION_SECONDS = 10 * 365 * 24 * 60 * 60;
/** KV's minimum `expirationTtl`, in seconds. */
export const KV_MIN_TTL_S = 60;
/** Default `result_expires`: one day, as in Celery. */
export const DEFAULT_RESULT_EXPIRES_S = 24 * 60 * 60;
/** Longest `?wait=` a result read may hold, in seconds. */
export const MAX_WAIT_S = 30;
/** Default lease length for a task with no hard time limit (Celery's visibility timeout role). */
export const DEFAULT_VISIBILITY_TIMEOUT_S = 30 * 60;
/**
 * How long a begun task stays leased without a heartbeat from its consumer (which sends one
 * every half second while the task runs): past it the worker is taken for lost, whatever the
 * task's time limit. A QueueDO renews the lease at most every third of this.
 */
export const WORKER_LEASE_MS = 30_000;

/**
 * How long the messages of an apply that spans several queue objects (queues, or shards of one)
 * are held back from dispatch while the rest of the apply is enqueued: the apply releases them
 * once every object took its part, or takes them back. Held rows whose apply was lost (its Worker
 * gone) are dispatched when this has passed.
 */
export const APPLY_HOLD_MS = 30_000;
/**
 * Most times an `acks_late` task is begun by a worker that is then lost. Past it the task is a
 * poison message (it kills its consumer, or keeps landing beside one that does): it fails with
 * WorkerLostError and becomes a dead letter instead of being delivered again.
 */
export const MAX_DELIVERIES = 5;
/** Grace added to a hard time limit before the lease deadline fences the task's late result. */
export const HARD_LIMIT_GRACE_MS = 250;
/** Default concurrency window of a queue: how many of its tasks may be leased at once. */
export const DEFAULT_CONCURRENCY = 1000;
/**
 * How long (ms) a queue shard whose deliveries are in flight gathers arriving tasks before its
 * next dispatch, unless the deployment sets `EDGERY_DISPATCH_GATHER_MS` (see `dispatchGatherMs`
 * in src/runtime/gather.ts). An idle shard (nothing leased) never waits, and a gather ends as
 * soon as a full delivery waits; under load it makes a delivery carry many tasks, so begin and
 * settle (per delivery) cost a shard less per task.
 */
export const DEFAULT_DISPATCH_GATHER_MS = 10;
/** Longest gather a deployment may set (`EDGERY_DISPATCH_GATHER_MS`): it is latency added under load. */
export const MAX_DISPATCH_GATHER_MS = 1000;
/** Default back-pressure bound of a queue: past this many messages, enqueue answers 503 overloaded. */
export const DEFAULT_MAX_WAITING = 1_000_000;
/** Default `max_retries`, as in Celery. */
export const DEFAULT_MAX_RETRIES = 3;
/** Default retry countdown in seconds, as Celery's `default_retry_delay`. */
export const DEFAULT_RETRY_DELAY_S = 180;
/**
 * How long a QueueDO holds a retry due at once (`countdown: 0`) before it dispatches it again:
 * the retry waits for the queue's alarm, a timer, instead of going straight back to a consumer.
 * A task retrying itself at once, thousands of times, otherwise kept workerd's event loop busy
 * with the loop's own calls, and no other request of the local server was answered until the
 * loop ended (a revoke included; measured: 2,000 retries, 45 s with nothing answered).
 */
export const RETRY_PACE_MS = 10;
/**
 * Number of ResultDO shards results are spread over (by a hash of the task id) unless the
 * deployment sets `EDGERY_RESULT_SHARDS` (see `resultShardCount` in src/runtime/stubs.ts).
 */
export const DEFAULT_RESULT_SHARDS = 8;
/** Most ResultDO shards a deployment may set (`EDGERY_RESULT_SHARDS`): the metrics scrape and the event feed ask every one. */
export const MAX_RESULT_SHARDS = 1024;
/**
 * Most QueueDO shards one queue may spread over (`queues: { name: { shards } }`): a revoke, a
 * pause or a stats read asks every shard, so this bounds their fan-out (1,024 calls, within the
 * 10,000 subrequests a Workers Paid invocation may make; as many as MAX_RESULT_SHARDS). At 1,024
 * shards one queue takes 100,000 single sends/s at about 98 a shard (README, "Sizing").
 */
export const MAX_QUEUE_SHARDS = 1024;
/** Between a queue's name and its shard number in the name of a QueueDO shard (`default#3`); never in a queue name. */
export const QUEUE_SHARD_SEPARATOR = "#";
/**
 * How long an idempotency key is held for an apply still enqueueing: past it (the apply crashed
 * between claim and enqueue) the key is free again.
 */
export const IDEMPOTENCY_PENDING_S = 30;
/** How long a second apply with a key still being enqueued waits for the first's outcome before 409. */
export const IDEMPOTENCY_WAIT_MS = 10_000;
/** How long a queue stays idle and empty before it leaves the directory (listing, metrics, revoke). */
export const QUEUE_IDLE_UNLIST_MS = 60 * 60 * 1000;
/** How long a revoked id is remembered by queues, so a late-arriving message is dropped. */
export const REVOKED_MEMORY_S = 24 * 60 * 60;
/**
 * Most revoked ids the directory remembers for queues not yet listed (ids revoked while their
 * place was unknown; a queue takes them in when it joins): past it, the oldest revoked are
 * forgotten first (see durable-objects/directory-revokes.ts).
 */
export const DIRECTORY_REVOKES_MAX = 10_000;
/**
 * Most task names outside the app's own (its registered tasks and exact routes) that keep a
 * `task` label of their own in `GET /v1/metrics`: past it, each such name is counted under the
 * route pattern that routes it (`billing.*`), or `other` (see src/metrics/task-labels.ts).
 */
export const MAX_TASK_LABELS = 100;
/** The edgery version reported by `GET /v1/health`. */
export const VERSION = "0.1.0";
/** The result backend kinds a task, route or app may name (Celery's `backend`). */
export const BACKEND_KINDS = ["kv", "d1", "r2", "none"] as const;
/** One of {@link BACKEND_KINDS}. */
export type BackendKind = (typeof BACKEND_KINDS)[number];
/** Default `result_r2_threshold`: values larger than this (bytes of JSON) go to R2. */
export const DEFAULT_R2_THRESHOLD = 1024 * 1024;
/**
 * A result that is passed on (prepended to the args of its chain's next step or of its link
 * callbacks) goes to R2 past this many bytes of JSON, whatever `result_r2_threshold` says: the
 * message that carries it must fit a Queue message (MAX_MESSAGE_BYTES), where it is escaped once
 * more (at most twice as long), beside the step's own arguments. Without R2 it stays inline, and
 * a step it does not fit ends PayloadTooLarge.
 */
export const PASS_ON_R2_THRESHOLD = 32 * 1024;
