/**
 * Large results: a value bigger than the threshold is written to R2 by the consumer before it
 * settles, and the settle (and so the outbox, the ResultDO, D1, chain and chord arguments)
 * carries this small pointer instead: `{"$edgery_r2": key, "bytes": n, "sig": s}`. Readers
 * resolve it.
 *
 * Why: a Durable Object SQLite value is limited to 2 MB, and the QueueDO's outbox and the
 * ResultDO store results, so a large value must never travel through settle.
 *
 * A pointer travels in the same JSON as user data (args, kwargs, results), so it must not be
 * forgeable: only a pointer whose `sig` is edgery's HMAC of its key and size is ever resolved; a
 * value of the same shape without a valid signature is plain data, end to end. Each write gets a
 * key of its own (`value/<owner id>/<nonce>`), so reusing a task id never overwrites an earlier
 * value, and a result's pointer is only resolved (or swept) when its key is under that result's
 * own id.
 */
import type { EdgeryEnv } from "../runtime/env.js";
import { signingSecret } from "../runtime/tokens.js";
import { fittedName, R2_KEY_MAX_BYTES } from "../runtime/kv-key.js";

/** The pointer's marker key. */
export const POINTER_KEY = "$edgery_r2";
/** The marker as it appears in JSON: a cheap test on a message body before parsing deeper. */
export const POINTER_MARK = `"${POINTER_KEY}"`;
/**
 * Largest value kept inline when R2 is not bound or refuses the write: below the 2 MB limit of a
 * DO SQLite value with room for the rest of the row (the outbox stores a JSON list of effects).
 */
export const MAX_INLINE_BYTES = 1536 * 1024;
/** How many pointers deep a value is resolved (a pointer inside a loaded value, and so on). */
const MAX_POINTER_DEPTH = 3;
/** R2 key prefix of offloaded values. */
export const VALUE_PREFIX = "value/";

/** A pointer to a value in R2, signed by edgery. */
export interface R2Pointer {
  [POINTER_KEY]: string;
  bytes: number;
  sig: string;
}

/** R2 key prefix of the header lists of chords (never under a task id's prefix). */
export const CHORD_LIST_PREFIX = "chord-header/";

/** UTF-8 bytes a value key adds after its owner's name: `/` and a UUID (newValueKey). */
const NONCE_BYTES = 37;

/**
 * The R2 key prefix of every value written for task `ownerId`: the id itself, or its hash when a
 * key with it would pass R2's limit (src/runtime/kv-key.ts), so a value of any task id fits.
 */
export async function valueKey(ownerId: string): Promise<string> {
  return `${VALUE_PREFIX}${await fittedName(VALUE_PREFIX, ownerId, R2_KEY_MAX_BYTES, NONCE_BYTES)}/`;
}

/** The R2 key prefix of chord `chordId`'s header lists (named as {@link valueKey} names a task). */
export async function chordListKey(chordId: string): Promise<string> {
  return `${CHORD_LIST_PREFIX}${await fittedName(CHORD_LIST_PREFIX, chordId, R2_KEY_MAX_BYTES, NONCE_BYTES)}/`;
}

/** A fresh key under `prefix`: each write has its own, so none overwrites another. */
export function newValueKey(prefix: string): string {
  return prefix + crypto.randomUUID();
}

/** True when `key` is one of `ownerId`'s keys. */
export async function ownedBy(key: string, ownerId: string): Promise<boolean> {
  return key.startsWith(await valueKey(ownerId));
}

/** True when `v` has a pointer's shape (signature not checked: see {@link PointerSigner}). */
export function isPointer(v: unknown): v is R2Pointer {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return Object.keys(o).length === 3 && typeof o[POINTER_KEY] === "string" && typeof o.bytes === "number" && typeof o.sig === "string";
}

/**
 * The bytes named by the pointer-shaped values anywhere inside `v` (signatures not checked; a
 * negative or non-finite size counts 0): what resolving them may read. Pure.
 */
export function pointedBytes(v: unknown): number {
  if (isPointer(v)) return Number.isFinite(v.bytes) && v.bytes > 0 ? v.bytes : 0;
  if (typeof v !== "object" || v === null) return 0;
  let sum = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) sum += pointedBytes(x);
  return sum;
}

const encoder = new TextEncoder();

/** HMAC keys by secret, imported once per isolate. */
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The secret pointers are signed with (see signingSecret: EDGERY_SIGNING_KEY, else the tokens). Without one,
 * nothing is offloaded or resolved (values stay inline, as without R2).
 */
export function pointerSecret(env: EdgeryEnv): string | undefined {
  return signingSecret(env);
}

/** Signs and checks pointers with one secret. */
export class PointerSigner {
  private readonly key: Promise<CryptoKey>;

  constructor(secret: string) {
    let key = keys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey("raw", encoder.encode(`edgery-r2-pointer\n${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
      keys.set(secret, key);
    }
    this.key = key;
  }

  /** The signer of `env`, or null when no secret is configured. */
  static of(env: EdgeryEnv): PointerSigner | null {
    const secret = pointerSecret(env);
    return secret ? new PointerSigner(secret) : null;
  }

  /** A signed pointer to `key` for a value of `bytes` bytes. */
  async sign(key: string, bytes: number): Promise<R2Pointer> {
    const mac = await crypto.subtle.sign("HMAC", await this.key, encoder.encode(`${key}\n${bytes}`));
    return { [POINTER_KEY]: key, bytes, sig: toBase64Url(new Uint8Array(mac)) };
  }

  /** True when `v` is a pointer edgery signed (anything else is plain data). */
  async verify(v: unknown): Promise<boolean> {
    if (!isPointer(v)) return false;
    const mac = fromBase64Url(v.sig);
    if (!mac) return false;
    return crypto.subtle.verify("HMAC", await this.key, mac, encoder.encode(`${v[POINTER_KEY]}\n${v.bytes}`));
  }
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(s)) return null;
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=");
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * The JSON of `value` when it may be larger than `threshold` bytes, else null (cheap: numbers,
 * booleans and null never are; a string is only encoded when it could be).
 */
export function largeJson(value: unknown, threshold: number): { json: string; bytes: number } | null {
  if (threshold > 0) {
    if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") return null;
    // A UTF-16 unit is at most 3 UTF-8 bytes (plus quotes/escapes, at most 6 for control chars).
    if (typeof value === "string" && value.length * 6 + 2 <= threshold) return null;
  }
  const json = JSON.stringify(value ?? null);
  if (threshold > 0 && json.length * 3 <= threshold) return null;
  const bytes = encoder.encode(json).length;
  return bytes > threshold ? { json, bytes } : null;
}

/**
 * Replaces every pointer edgery signed inside `v` (deeply: a chord body gets a list of header
 * results) with what `load` returns for its key. Values without signed pointers come back as
 * they are; a pointer-shaped value with a wrong signature is plain data and stays.
 */
export async function resolvePointers(v: unknown, signer: PointerSigner, load: (key: string) => Promise<unknown>, depth = 0): Promise<unknown> {
  // A loaded value may hold pointers itself (a chord's header list in R2 holds its members' large
  // values); they are resolved too, a few levels deep at most.
  if (isPointer(v)) {
    if (!(await signer.verify(v))) return v;
    const loaded = await load(v[POINTER_KEY]);
    return depth < MAX_POINTER_DEPTH ? resolvePointers(loaded, signer, load, depth + 1) : loaded;
  }
  if (Array.isArray(v)) {
    let changed = false;
    const out = await Promise.all(
      v.map(async (x) => {
        const y = await resolvePointers(x, signer, load, depth);
        if (y !== x) changed = true;
        return y;
      }),
    );
    return changed ? out : v;
  }
  if (typeof v === "object" && v !== null) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = await resolvePointers(x, signer, load, depth);
      if (y !== x) changed = true;
      // defineProperty: a "__proto__" key of user data stays an own key, never the prototype.
      Object.defineProperty(out, k, { value: y, enumerable: true, writable: true, configurable: true });
    }
    return changed ? out : v;
  }
  return v;
}
