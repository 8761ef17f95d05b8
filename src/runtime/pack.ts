/**
 * Packs leased tasks into Cloudflare Queue messages and those into `sendBatch` calls, sized in
 * the UTF-8 bytes of a delivery body serialized as JSON (each task's message embedded in it as a
 * JSON string), counted without building or encoding that JSON; an all-ASCII delivery is sent as
 * V8 serialization instead, within a bound of those bytes (deliveryEncoding).
 */
import {
  MAX_MESSAGE_BYTES,
  QUEUE_BATCH_MAX,
  QUEUE_BODY_MAX_BYTES,
  QUEUE_MESSAGE_METADATA_BYTES,
  QUEUE_SEND_BATCH_MAX_BYTES,
  SQL_BATCHED_ROW_MAX_CHARS,
  SQL_PARAM_BUDGET_BYTES,
} from "../protocol/index.js";
import type { DeliveryBody, TaskMessage, WireLeasedTask } from "../protocol/message.js";

/**
 * The bytes of a task message as sent when they pass MAX_MESSAGE_BYTES (else null): its JSON,
 * embedded in a delivery as a JSON string, in UTF-8. That is at most 3 bytes per UTF-16 unit of
 * the JSON (JSON.stringify escapes every control character), so most messages need no counting.
 * The one size rule of a message, for an apply and for a peer app's enqueue.
 */
export function oversizeBytes(m: TaskMessage): number | null {
  const json = JSON.stringify(m);
  if (json.length * 3 + 2 <= MAX_MESSAGE_BYTES) return null;
  const bytes = jsonStringBytes(json);
  return bytes > MAX_MESSAGE_BYTES ? bytes : null;
}

/**
 * UTF-8 bytes of `JSON.stringify(s)` (its quotes included), in one pass over `s` without
 * building the escaped string: `"` and `\` and the short escapes take 2 bytes, other control
 * characters 6 (`\u00XX`), a lone surrogate 6 (escaped), a surrogate pair 4, and other
 * characters their UTF-8 length.
 */
export function jsonStringBytes(s: string): number {
  let n = s.length + 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x80) {
      if (c === 0x22 || c === 0x5c) n += 1;
    } else if (c < 0x20) {
      // \b \t \n \f \r have two-character escapes, the rest \u00XX.
      n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5;
    } else if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: two UTF-16 units, four UTF-8 bytes.
      n += 2;
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      n += 5;
    } else {
      n += 2;
    }
  }
  return n;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 bytes of `s`: its length when it is ASCII (one native scan), else counted (utf8Bytes). */
function byteLength(s: string): number {
  return NON_ASCII.test(s) ? utf8Bytes(s) : s.length;
}

/** UTF-8 bytes of `s` (a lone surrogate counts 3, as TextEncoder writes U+FFFD), without encoding it. */
export function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i += 1;
    } else n += 2;
  }
  return n;
}

/** UTF-8 bytes of a delivery body with no tasks: `{"queue":…,"tasks":[]}`, with `"object":…` when it names one. */
export function deliveryEnvelopeBytes(queue: string, object?: string): number {
  return '{"queue":,"tasks":[]}'.length + jsonStringBytes(queue) + (object === undefined ? 0 : ',"object":'.length + jsonStringBytes(object));
}

/** UTF-8 bytes of one leased task inside a delivery body's `tasks` list (without its comma). */
export function leasedTaskBytes(task: WireLeasedTask): number {
  return (
    '{"lease":,"deadline":,"redelivered":,"body":}'.length +
    jsonStringBytes(task.lease) +
    String(task.deadline).length +
    (task.redelivered ? 4 : 5) +
    jsonStringBytes(task.body)
  );
}

/** A delivery body with its size: UTF-8 bytes of its JSON, as `sendBatch` sends it. */
export interface SizedDelivery {
  body: DeliveryBody;
  bytes: number;
}

/** What a dispatch's leased tasks come to: the deliveries to send, and the tasks no delivery can carry. */
export interface DeliveryPlan {
  deliveries: SizedDelivery[];
  /** Tasks too large for a Queue message even alone, with their size. */
  tooBig: Array<{ task: WireLeasedTask; bytes: number }>;
}

/**
 * Packs leased tasks (already in dispatch order) into deliveries of at most `prefetch` tasks and
 * QUEUE_BODY_MAX_BYTES each; a task that cannot fit even alone is set apart (it fails alone,
 * instead of failing every send that carries it). `object`: the id of the QueueDO that leased
 * them, named in each delivery (see {@link DeliveryBody}). Pure.
 */
export function planDeliveries(queue: string, tasks: WireLeasedTask[], prefetch: number = QUEUE_BATCH_MAX, object?: string): DeliveryPlan {
  const perDelivery = Math.max(1, Math.min(prefetch, QUEUE_BATCH_MAX));
  const envelope = deliveryEnvelopeBytes(queue, object);
  const out: DeliveryPlan = { deliveries: [], tooBig: [] };
  let current: WireLeasedTask[] = [];
  let size = envelope;
  const flush = () => {
    if (current.length > 0) out.deliveries.push({ body: object === undefined ? { queue, tasks: current } : { queue, object, tasks: current }, bytes: size });
    current = [];
    size = envelope;
  };
  for (const task of tasks) {
    const bytes = leasedTaskBytes(task);
    if (envelope + bytes > QUEUE_BODY_MAX_BYTES) {
      out.tooBig.push({ task, bytes: envelope + bytes });
      continue;
    }
    // A comma before every task but the first.
    const added = current.length > 0 ? bytes + 1 : bytes;
    if (current.length >= perDelivery || size + added > QUEUE_BODY_MAX_BYTES) {
      flush();
      current.push(task);
      size += bytes;
      continue;
    }
    current.push(task);
    size += added;
  }
  flush();
  return out;
}

/**
 * How a delivery goes onto the Queue, and the bytes it may then take (at most; what `sendBatch`
 * is sized by). `json` is the delivery's JSON in UTF-8, exactly its `bytes`. `v8` is the V8
 * serialization that workerd uses for structured clone: it writes strings as they are, where JSON
 * escapes every `"` of each task's embedded message, so no JSON text is built on send and none
 * parsed and built again on the way to the consumer (each side of the local Queue did both).
 * The consumer receives the same object either way, so a version of either side reads both.
 */
export interface DeliveryEncoding {
  contentType: "v8" | "json";
  bytes: number;
}

/**
 * Bytes V8's serialization of an all-ASCII delivery may take beyond its JSON: per task, at most 3
 * (each string's tag and length against JSON's quotes, +2 apiece, and a number's 9 bytes against
 * its digits, less what the field names, the boolean and the object's end save); per delivery,
 * its header and envelope. Rounded up well; test/unit/delivery-encoding.test.ts checks it against V8.
 */
export function v8SlackBytes(tasks: number): number {
  return 8 * tasks + 32;
}

/** True when every character of `s` is ASCII (so V8 stores and serializes it one byte a character). */
const isAscii = (s: string): boolean => !/[^\x00-\x7f]/.test(s);

/**
 * The encoding a delivery is sent with: `v8` when every string in it is ASCII (one byte a
 * character in V8, as in UTF-8) and its V8 size is surely within QUEUE_BODY_MAX_BYTES (its JSON
 * bytes plus {@link v8SlackBytes}); else `json`, sized exactly, as before. Pure.
 */
export function deliveryEncoding(delivery: SizedDelivery): DeliveryEncoding {
  const { body, bytes } = delivery;
  const bound = bytes + v8SlackBytes(body.tasks.length);
  const ascii =
    bound <= QUEUE_BODY_MAX_BYTES &&
    isAscii(body.queue) &&
    (body.object === undefined || isAscii(body.object)) &&
    body.tasks.every((t) => isAscii(t.lease) && isAscii(t.body));
  return ascii ? { contentType: "v8", bytes: bound } : { contentType: "json", bytes };
}

/**
 * Splits sized messages into `sendBatch` calls: at most QUEUE_BATCH_MAX messages and
 * QUEUE_SEND_BATCH_MAX_BYTES each (every message counted with its metadata), in order. Pure.
 */
export function sendBatches<T extends { bytes: number }>(messages: T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = m.bytes + QUEUE_MESSAGE_METADATA_BYTES;
    if (current.length > 0 && (current.length >= QUEUE_BATCH_MAX || size + bytes > QUEUE_SEND_BATCH_MAX_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * `items` as JSON arrays of at most ~`budget` UTF-8 bytes each, in order (a bound string is
 * limited in bytes: 1M characters of `€` are 3 MB). Each slice is one `JSON.stringify` of its
 * items: in V8, joining the items' separate JSON texts costs several times more than encoding
 * them (a batch of 1,000 queue rows: ~8 ms against ~1 ms). When the whole list fits, it is
 * encoded once, and measured only when its characters could be more bytes than the budget.
 */
export function jsonSlices(items: unknown[], budget: number): string[] {
  if (items.length === 0) return [];
  const whole = JSON.stringify(items);
  // The slices below hold `[`, `]`, and each item with one comma: the size of `whole` plus one.
  if (items.length === 1 || whole.length * 3 + 1 <= budget || (whole.length + 1 <= budget && byteLength(whole) + 1 <= budget)) return [whole];
  const out: string[] = [];
  let start = 0;
  let size = 2;
  for (let i = 0; i < items.length; i++) {
    const length = byteLength(JSON.stringify(items[i]));
    if (i > start && size + length + 1 > budget) {
      out.push(JSON.stringify(items.slice(start, i)));
      start = i;
      size = 2;
    }
    size += length + 1;
  }
  out.push(JSON.stringify(items.slice(start)));
  return out;
}

/**
 * Rows for a batched insert, in order: `slices`, the JSON arrays (jsonSlices, ~1 MB each) of the
 * `values` of the rows whose JSON text (`chars`) is at most SQL_BATCHED_ROW_MAX_CHARS, each bound
 * as one `json_each(?)`; `alone`, the values of the longer ones, to insert one statement each.
 * Pure.
 */
export function insertBatches<T>(rows: readonly T[], chars: (row: T) => number, values: (row: T) => unknown[]): { slices: string[]; alone: unknown[][] } {
  const batched: unknown[][] = [];
  const alone: unknown[][] = [];
  for (const r of rows) (chars(r) > SQL_BATCHED_ROW_MAX_CHARS ? alone : batched).push(values(r));
  return { slices: jsonSlices(batched, SQL_PARAM_BUDGET_BYTES), alone };
}
