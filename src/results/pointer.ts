/**
 * Large results: a value bigger than the threshold is written to R2 by the consumer before it
 * settles, and the settle (and so the outbox, the ResultDO, D1, chain and chord arguments)
 * carries this small pointer instead: `{"$edgery_r2": key, "bytes": n}`. Readers resolve it.
 *
 * Why: a Durable Object SQLite value is limited to 2 MB, and the QueueDO's outbox and the
 * ResultDO store results, so a large value must never travel through settle.
 */

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

/** A pointer to a value in R2. */
export interface R2Pointer {
  [POINTER_KEY]: string;
  bytes: number;
}

/** The R2 key of a task's offloaded value. */
export function valueKey(taskId: string): string {
  return VALUE_PREFIX + taskId;
}

/** A pointer to `key` for a value of `bytes` bytes. */
export function makePointer(key: string, bytes: number): R2Pointer {
  return { [POINTER_KEY]: key, bytes };
}

/** True when `v` is exactly a pointer (an object with the marker key, a string key, a size). */
export function isPointer(v: unknown): v is R2Pointer {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  return keys.length === 2 && typeof o[POINTER_KEY] === "string" && typeof o.bytes === "number";
}

const encoder = new TextEncoder();

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
 * Replaces every pointer inside `v` (deeply: a chord body gets a list of header results) with
 * what `load` returns for its key. Values without pointers come back as they are.
 */
export async function resolvePointers(v: unknown, load: (key: string) => Promise<unknown>, depth = 0): Promise<unknown> {
  // A loaded value may hold pointers itself (a chord's header list in R2 holds its members' large
  // values); they are resolved too, a few levels deep at most.
  if (isPointer(v)) return depth < MAX_POINTER_DEPTH ? resolvePointers(await load(v[POINTER_KEY]), load, depth + 1) : load(v[POINTER_KEY]);
  if (Array.isArray(v)) {
    let changed = false;
    const out = await Promise.all(
      v.map(async (x) => {
        const y = await resolvePointers(x, load, depth);
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
      const y = await resolvePointers(x, load, depth);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : v;
  }
  return v;
}

/** The pointers inside `v` (deeply). */
export function pointersIn(v: unknown, out: R2Pointer[] = []): R2Pointer[] {
  if (isPointer(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) pointersIn(x, out);
  else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) pointersIn(x, out);
  return out;
}
