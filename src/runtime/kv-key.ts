/**
 * KV keys named after task ids. KV refuses a key over 512 UTF-8 bytes, and a task id may be 255
 * characters of any script (up to 1,020 bytes): such a name is replaced by `#` and the SHA-256 of
 * it (hex), so a key always fits. A name that fits is kept as it is, so every key written before
 * stays where it was.
 */
import { utf8Bytes } from "./pack.js";

/** The longest key KV takes, in UTF-8 bytes. */
export const KV_KEY_MAX_BYTES = 512;

/** The part of a key that names `name` under `prefix`: `name` itself when the key fits, else `#<sha-256 hex>`. */
export async function kvName(prefix: string, name: string): Promise<string> {
  if (utf8Bytes(prefix + name) <= KV_KEY_MAX_BYTES) return name;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  return `#${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The key of `name` under `prefix` (see kvName): at most KV_KEY_MAX_BYTES for any prefix under 440 bytes. */
export async function kvKey(prefix: string, name: string): Promise<string> {
  return prefix + (await kvName(prefix, name));
}
