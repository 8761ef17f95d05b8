/**
 * The `r2` result backend and large values.
 *
 * - {@link R2Backend}: whole results as JSON objects under `result/<id>` (expiry checked on read;
 *   pair it with an R2 lifecycle rule on the `result/` prefix to delete them).
 * - {@link offloadValue} / {@link loadValue}: a task's value under `value/<id>`, written by the
 *   consumer before it settles; the settle carries a pointer (src/results/pointer.ts). Each write
 *   has a key of its own, `value/<id>/<nonce>`: a reused task id never overwrites a value.
 */
import { keepsOld, type ResultBackend, type StoredResult } from "./backend.js";
import { newValueKey, valueKey, type PointerSigner, type R2Pointer } from "./pointer.js";
import { fittedName, R2_KEY_MAX_BYTES } from "../runtime/kv-key.js";

/** R2 key prefix of whole results. */
export const RESULT_PREFIX = "result/";

/** The R2 key of a whole result: `result/<id>`, or the id's hash where R2 could not hold the id. */
export async function resultKey(id: string): Promise<string> {
  return RESULT_PREFIX + (await fittedName(RESULT_PREFIX, id, R2_KEY_MAX_BYTES));
}

/** Whole results in R2. */
export class R2Backend implements ResultBackend {
  readonly kind = "r2" as const;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly now: () => number = Date.now,
  ) {}

  async put(results: StoredResult[]): Promise<void> {
    await Promise.all(
      results.map(async (r) => {
        // First final result wins. Not atomic (R2 has no conditional write on content): two
        // concurrent final writes of one id may both land; the ResultDO is the arbiter of state.
        if (keepsOld(await this.get(r.id))) return;
        await this.bucket.put(await resultKey(r.id), JSON.stringify(r), {
          httpMetadata: { contentType: "application/json" },
          customMetadata: { state: r.state, expires_at: String(r.expires_at ?? "") },
        });
      }),
    );
  }

  async get(id: string): Promise<StoredResult | null> {
    const obj = await this.bucket.get(await resultKey(id));
    if (!obj) return null;
    const r = (await obj.json()) as StoredResult;
    if (r.expires_at !== undefined && r.expires_at !== null && r.expires_at <= this.now()) return null;
    return r;
  }

  /** Removes the whole result and every offloaded value of that id. */
  async forget(id: string): Promise<void> {
    await this.bucket.delete([await resultKey(id), ...(await valueKeysOf(this.bucket, id))]);
  }
}

/**
 * Writes a value (its JSON) to R2 under a fresh key below `prefix` (a task's {@link valueKey}, a
 * chord's list key) and answers the signed pointer that replaces it.
 */
export async function offloadValue(bucket: R2Bucket, signer: PointerSigner, prefix: string, json: string, bytes: number): Promise<R2Pointer> {
  const key = newValueKey(prefix);
  await bucket.put(key, json, { httpMetadata: { contentType: "application/json" } });
  return signer.sign(key, bytes);
}

/** The keys of every value written for `ownerId` (a task id reused, or retried, may have several). */
export async function valueKeysOf(bucket: R2Bucket, ownerId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: await valueKey(ownerId), cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** A value that `ValueMissing` says is gone (expired, swept or forgotten). */
export class ValueMissing extends Error {
  constructor(readonly key: string) {
    super(`the large result at R2 key '${key}' is gone (expired or forgotten)`);
    this.name = "ValueMissing";
  }
}

/** Reads an offloaded value. @throws ValueMissing when the object is gone. */
export async function loadValue(bucket: R2Bucket, key: string): Promise<unknown> {
  const obj = await bucket.get(key);
  if (!obj) throw new ValueMissing(key);
  return JSON.parse(await obj.text()) as unknown;
}
