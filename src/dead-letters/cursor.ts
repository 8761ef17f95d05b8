/**
 * The paging cursor of `GET /v1/dead-letters`: the position of the last item of a page in the
 * newest-first order (failed_at desc, queue desc, seq desc), as opaque base64url JSON. Pure.
 */
import { WireError } from "../protocol/index.js";

/** Where a page ended: the last item's failure time, queue and row number in that queue. */
export interface DeadLetterCursor {
  failedAt: number;
  queue: string;
  seq: number;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): string {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The cursor as it goes on the wire. */
export function encodeCursor(c: DeadLetterCursor): string {
  return toBase64Url(JSON.stringify([c.failedAt, c.queue, c.seq]));
}

/**
 * A cursor from the wire.
 * @throws WireError `invalid_request` at path `cursor` for anything {@link encodeCursor} did not make.
 */
export function decodeCursor(s: string): DeadLetterCursor {
  const bad = () => new WireError("invalid_request", "cursor: not a cursor this API returned", "cursor");
  if (!/^[A-Za-z0-9_-]{1,600}$/.test(s)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(fromBase64Url(s));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3) throw bad();
  const [failedAt, queue, seq] = v as unknown[];
  if (!Number.isSafeInteger(failedAt) || typeof queue !== "string" || !Number.isSafeInteger(seq)) throw bad();
  return { failedAt: failedAt as number, queue, seq: seq as number };
}

/**
 * The bound a queue's page starts below, for a merge across queues in the cursor's order:
 * rows of `queue` with `failed_at < at`, or `failed_at = at` and `seq < seq`.
 */
export function boundFor(queue: string, c: DeadLetterCursor | null): { at: number; seq: number } {
  if (!c) return { at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
  if (queue < c.queue) return { at: c.failedAt, seq: Number.MAX_SAFE_INTEGER };
  if (queue === c.queue) return { at: c.failedAt, seq: c.seq };
  return { at: c.failedAt, seq: 0 };
}
