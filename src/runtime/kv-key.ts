/**
 * Store keys named after task ids. KV refuses a key over 512 UTF-8 bytes and R2 one over 1,024,
 * and a task id may be 255 characters of any script (up to 1,020 bytes): a name that would not
 * fit is replaced by `#` and its SHA-256 (hex), so a key always fits. A name that fits is kept as
 * it is, so every key written before stays where it was (but for names that begin with `#`, which
 * are hashed too: kept, one could be another name's hash).
 */
import { utf8Bytes } from "./pack.js";

/** The longest key KV takes, in UTF-8 bytes. */
export const KV_KEY_MAX_BYTES = 512;

/** The longest key R2 takes, in UTF-8 bytes. */
export const R2_KEY_MAX_BYTES = 1024;

/**
 * The part of a key that names `name` after `prefix`, when `suffixBytes` more follow it: `name`
 * itself when the whole key fits `maxBytes`, else `#<sha-256 hex>` (65 bytes). A name that
 * begins with `#` is always hashed, so that no name kept as it is can be another's hash.
 */
export async function fittedName(prefix: string, name: string, maxBytes: number, suffixBytes = 0): Promise<string> {
  if (!name.startsWith("#") && utf8Bytes(prefix + name) + suffixBytes <= maxBytes) return name;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  return `#${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The part of a KV key that names `name` under `prefix` (see fittedName). */
export async function kvName(prefix: string, name: string): Promise<string> {
  return fittedName(prefix, name, KV_KEY_MAX_BYTES);
}

/** The key of `name` under `prefix` (see kvName): at most KV_KEY_MAX_BYTES for any prefix under 440 bytes. */
export async function kvKey(prefix: string, name: string): Promise<string> {
  return prefix + (await kvName(prefix, name));
}
