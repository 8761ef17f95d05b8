/**
 * The `cloudflare-queue` broker: messages go straight onto a Queue binding, packed up to 100
 * tasks per Queue message, delayed with `delaySeconds` (countdown/eta, at most 12 h per hop).
 * No QueueDO, no leases: the consumer (direct-consumer.ts) runs them and writes their results
 * and follow-ups itself. What it gives up is written in docs/brokers.md.
 *
 * Revoke: a waiting message cannot be taken off a Queue, so a revoked id is remembered in KV
 * for REVOKED_MEMORY_S and the consumer checks the list when a batch starts: the task then ends
 * REVOKED without running. One id is a key of its own (`revoked:<queue>:<id>`); the ids of a
 * revoke of several are one key per ~1 MB of them (`revoked:<queue>:#chunk:<uuid>`, the names in
 * its value, marked by its metadata), so a group's revoke is one KV write, not one per member
 * (a Worker invocation may make at most 1,000 KV calls; 5,000 puts took 6 s locally).
 */
import { QUEUE_BATCH_MAX, QUEUE_BODY_MAX_BYTES, REVOKED_MEMORY_S, type QueueStats } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import type { Effect } from "../canvas/effects.js";
import { emptyStats, PayloadTooLargeError, type Broker } from "./broker.js";
import { jsonSlices, jsonStringBytes, sendBatches, utf8Bytes } from "../runtime/pack.js";
import { kvKey, kvName } from "../runtime/kv-key.js";
import { QUEUE_MAX_DELAY_S } from "../app/broker-config.js";

/** The body of one Queue message on a `cloudflare-queue` broker. */
export interface DirectBody {
  kind: "edgery.direct";
  queue: string;
  /** Tasks to run (up to 100). */
  tasks?: TaskMessage[];
  /** Follow-ups of tasks already run that could not be carried out at once: retried from here. */
  effects?: Effect[];
}

/** Is this Queue message body one of ours? */
export function isDirectBody(body: unknown): body is DirectBody {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "edgery.direct";
}

/** A Queue message as `sendBatch` takes it. */
export interface OutgoingDirect {
  body: DirectBody;
  delaySeconds?: number;
}

/** Seconds to delay a message with this eta (0 = now), at most one 12 h hop. */
export function delayOf(eta: number | null, now: number): number {
  if (eta === null || eta <= now) return 0;
  return Math.min(QUEUE_MAX_DELAY_S, Math.ceil((eta - now) / 1000));
}

/** Queue messages packed for sending, and the task messages none can carry. */
export interface DirectPack {
  /** `sendBatch` calls, in order. */
  batches: OutgoingDirect[][];
  /** Messages too large for a Queue message even alone (UTF-8 bytes as sent). */
  tooBig: TaskMessage[];
}

/**
 * Packs messages of one queue into Queue messages (up to 100 tasks and QUEUE_BODY_MAX_BYTES
 * each, in UTF-8 bytes of the JSON sent; one delay per Queue message), then into `sendBatch`
 * calls within the platform's limits. A message that cannot fit alone is set apart. Pure.
 */
export function packDirect(queue: string, messages: TaskMessage[], now: number): DirectPack {
  const byDelay = new Map<number, TaskMessage[]>();
  for (const m of messages) {
    const d = delayOf(m.eta, now);
    const list = byDelay.get(d);
    if (list) list.push(m);
    else byDelay.set(d, [m]);
  }
  // {"kind":"edgery.direct","queue":…,"tasks":[]}
  const envelope = '{"kind":"edgery.direct","queue":,"tasks":[]}'.length + jsonStringBytes(queue);
  const outgoing: Array<{ msg: OutgoingDirect; bytes: number }> = [];
  const tooBig: TaskMessage[] = [];
  for (const [delay, list] of byDelay) {
    let tasks: TaskMessage[] = [];
    let size = envelope;
    const flush = () => {
      if (tasks.length === 0) return;
      const msg: OutgoingDirect = delay > 0 ? { body: { kind: "edgery.direct", queue, tasks }, delaySeconds: delay } : { body: { kind: "edgery.direct", queue, tasks } };
      outgoing.push({ msg, bytes: size });
      tasks = [];
      size = envelope;
    };
    for (const m of list) {
      const bytes = utf8Bytes(JSON.stringify(m));
      if (envelope + bytes > QUEUE_BODY_MAX_BYTES) {
        tooBig.push(m);
        continue;
      }
      // A comma before every task but the first.
      if (tasks.length > 0 && (tasks.length >= QUEUE_BATCH_MAX || size + bytes + 1 > QUEUE_BODY_MAX_BYTES)) flush();
      size += tasks.length > 0 ? bytes + 1 : bytes;
      tasks.push(m);
    }
    flush();
  }
  return { batches: sendBatches(outgoing).map((b) => b.map((o) => o.msg)), tooBig };
}

const REVOKED_PREFIX = "revoked:";

/** The KV prefix of a queue's revoked ids. */
const revokedPrefix = (queue: string) => `${REVOKED_PREFIX}${queue}:`;

/**
 * The name part of a chunk key: `#` followed by what is not a SHA-256 in hex, which no id's name
 * can be (kvName keeps a name as it is only when it does not begin with `#`).
 */
const CHUNK_MARK = "#chunk:";

/** The most characters of names (as JSON) one chunk key holds; KV takes values up to 25 MiB. */
const REVOKED_CHUNK_CHARS = 1_000_000;

/** The metadata that marks a chunk key: its value lists revoked names. */
interface ChunkMetadata {
  chunk: number;
}

const isChunk = (metadata: unknown): boolean => typeof metadata === "object" && metadata !== null && typeof (metadata as Partial<ChunkMetadata>).chunk === "number";

/**
 * The names each chunk key holds, per isolate: a chunk is written once under a fresh name and
 * never changed, so it is read once, not at every batch. Entries whose key a list no longer shows
 * (expired) are dropped.
 */
const chunkNames = new Map<string, string[]>();

/**
 * The names of the ids revoked in a queue on this broker (one KV list per batch, paged, and a
 * read of each chunk key not read before): each an id, or for an id too long for a KV key its
 * hash (kvName); ask with {@link isRevokedIn}.
 */
export async function revokedIn(kv: KVNamespace | undefined, queue: string): Promise<Set<string>> {
  const out = new Set<string>();
  if (!kv) return out;
  const prefix = revokedPrefix(queue);
  const chunks: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res: KVNamespaceListResult<unknown> = await kv.list(cursor ? { prefix, cursor } : { prefix });
    for (const k of res.keys) {
      if (isChunk(k.metadata)) chunks.push(k.name);
      else out.add(k.name.slice(prefix.length));
    }
    if (res.list_complete) break;
    cursor = res.cursor;
  }
  const listed = new Set(chunks);
  for (const key of chunkNames.keys()) if (key.startsWith(prefix) && !listed.has(key)) chunkNames.delete(key);
  await Promise.all(
    chunks
      .filter((key) => !chunkNames.has(key))
      .map(async (key) => {
        const names = await kv.get<string[]>(key, "json");
        // Gone between the list and the read: expired, so nothing to add and nothing to keep.
        if (Array.isArray(names)) chunkNames.set(key, names);
      }),
  );
  for (const key of chunks) for (const name of chunkNames.get(key) ?? []) out.add(name);
  return out;
}

/** Whether `id` is among a queue's revoked names (see revokedIn). */
export async function isRevokedIn(revoked: Set<string>, queue: string, id: string): Promise<boolean> {
  return revoked.size > 0 && revoked.has(await kvName(revokedPrefix(queue), id));
}

/** A queue on a Cloudflare Queue binding. */
export class CloudflareQueueBroker implements Broker {
  readonly kind = "cloudflare-queue" as const;
  /** A sent Queue message cannot be taken back: it is enqueued last, and cancel revokes. */
  readonly cancellable = false;

  constructor(
    private readonly producer: Queue<DirectBody>,
    private readonly kv: KVNamespace | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Sends the messages; then, if some could not fit a Queue message even alone, refuses those
   * for good (PayloadTooLargeError: the caller fails them instead of trying again).
   */
  async enqueue(messages: TaskMessage[]): Promise<void> {
    const first = messages[0];
    if (!first) return;
    const { batches, tooBig } = packDirect(first.queue, messages, this.clock());
    for (const batch of batches) {
      await this.producer.sendBatch(batch.map((m) => ({ ...m, contentType: "json" as const })));
    }
    if (tooBig.length > 0) {
      throw new PayloadTooLargeError(
        tooBig.map((m) => m.id),
        `${tooBig.length === 1 ? `task ${tooBig[0]!.id} is` : `${tooBig.length} tasks are`} too large for a Queue message (at most ${QUEUE_BODY_MAX_BYTES} bytes as sent)`,
      );
    }
  }

  /** Sends follow-ups that could not be carried out at once, to be retried by the consumer. */
  async sendEffects(queue: string, effects: Effect[], delaySeconds = 1): Promise<void> {
    await this.producer.send({ kind: "edgery.direct", queue, effects }, { contentType: "json", delaySeconds });
  }

  /** Best effort: a message already on the Queue ends REVOKED when the consumer reaches it. */
  async cancel(messages: TaskMessage[]): Promise<void> {
    const first = messages[0];
    if (first) await this.revoke(first.queue, messages.map((m) => m.id));
  }

  /**
   * Remembers the ids (one KV write for one id, else one per chunk of ~1 MB of names); nothing
   * ends now (the consumer ends them when it reaches them).
   */
  async revoke(queue: string, ids: string[]): Promise<{ revoked: string[] }> {
    const kv = this.kv;
    const distinct = [...new Set(ids)];
    if (!kv || distinct.length === 0) return { revoked: [] };
    const prefix = revokedPrefix(queue);
    if (distinct.length === 1) {
      await kv.put(await kvKey(prefix, distinct[0]!), "1", { expirationTtl: REVOKED_MEMORY_S });
      return { revoked: [] };
    }
    const names = await Promise.all(distinct.map((id) => kvName(prefix, id)));
    const slices = jsonSlices(names, REVOKED_CHUNK_CHARS);
    await Promise.all(
      slices.map((value) => {
        const metadata: ChunkMetadata = { chunk: 1 };
        return kv.put(`${prefix}${CHUNK_MARK}${crypto.randomUUID()}`, value, { expirationTtl: REVOKED_MEMORY_S, metadata });
      }),
    );
    return { revoked: [] };
  }

  /** A Queue keeps no counts edgery can read: all zero (see docs/brokers.md). */
  async stats(queue: string): Promise<QueueStats> {
    return emptyStats(queue);
  }
}
