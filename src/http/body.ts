/**
 * Reading a request body: the 1 MiB limit, then JSON.
 */
import { DRAIN_UNKNOWN_MS, MAX_BODY_BYTES, MAX_DRAIN_BYTES, WireError } from "../protocol/index.js";

function tooLarge(bytes: string): WireError {
  return new WireError("payload_too_large", `the body is ${bytes} bytes; at most ${MAX_BODY_BYTES} are accepted`);
}

/**
 * Reads and discards a refused body, so that a client still sending it gets the 413 rather than a
 * reset connection. Nothing is kept, and it is bounded: at most MAX_DRAIN_BYTES, and for a body of
 * unknown length (it may never end) at most DRAIN_UNKNOWN_MS. Past a bound the rest is left
 * unread: not cancelled, since workerd then drops the connection before the 413 is sent.
 */
async function drain(req: Request, reader: ReadableStreamDefaultReader<Uint8Array>, read: number): Promise<void> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const known = Number.isFinite(declared);
  if (known && declared > MAX_DRAIN_BYTES) return release(reader);
  const deadline = known ? Infinity : Date.now() + DRAIN_UNKNOWN_MS;
  let total = read;
  while (total <= MAX_DRAIN_BYTES) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const next = await Promise.race([reader.read(), ...(known ? [] : [new Promise<null>((r) => setTimeout(() => r(null), left))])]);
    if (next === null) break;
    if (next.done) return;
    total += next.value.byteLength;
  }
  release(reader);
}

/** Lets go of a body left unread (a read still pending after a time-out may make this throw). */
function release(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  try {
    reader.releaseLock();
  } catch {
    /* the pending read keeps the lock; the body is discarded with the request */
  }
}

/**
 * The body's bytes, read as a stream and refused as soon as it passes MAX_BODY_BYTES: a body
 * without (or lying in) Content-Length is never kept whole before the 413.
 */
async function readCapped(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    if (req.body) await drain(req, req.body.getReader(), 0);
    throw tooLarge(String(declared));
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await drain(req, reader, total);
      throw tooLarge(`over ${MAX_BODY_BYTES}`);
    }
    chunks.push(value);
  }
  const buf = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.byteLength;
  }
  return buf;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The JSON body, or `undefined` for an empty one when `optional`. @throws `invalid_json` for a body that is not UTF-8 JSON. */
export async function readJson(req: Request, optional = false): Promise<unknown> {
  const buf = await readCapped(req);
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259): bytes that are not were replaced by U+FFFD and reached the task.
    text = UTF8.decode(buf);
  } catch {
    throw new WireError("invalid_json", "the body is not UTF-8 text");
  }
  if (text.trim() === "") {
    if (optional) return undefined;
    throw new WireError("invalid_json", "the body is empty; a JSON object is expected");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new WireError("invalid_json", `the body is not JSON: ${(err as Error).message}`);
  }
}

/** The body as a JSON object, or `invalid_code` naming what it is instead. */
export function asObject(value: unknown, code: "invalid_signature" | "invalid_request"): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireError(code, `the body must be a JSON object, not ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Refuses a field of a request body that the route does not take (`422 invalid_request` at it):
 * a misspelled field (`terminat`) must not be ignored in silence.
 */
export function onlyFields(body: Record<string, unknown>, fields: readonly string[], what: string): void {
  for (const key of Object.keys(body)) {
    if (!fields.includes(key)) throw new WireError("invalid_request", `${key}: unknown field; ${what} takes ${fields.map((f) => `'${f}'`).join(", ")}`, key);
  }
}
