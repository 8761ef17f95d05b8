/**
 * Base64url (RFC 4648 §5) of UTF-8 text: how edgery's opaque paging cursors go on the wire
 * (`GET /v1/results`, `GET /v1/dead-letters`). Written without `=` padding, read with or without
 * it (a client or a proxy may add it back). Pure.
 */

/** `text` as base64url of its UTF-8 bytes, without padding. */
export function toBase64Url(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The UTF-8 text a base64url string encodes, with its `=` padding or without it; null for anything
 * else: another alphabet, padding that does not fit the length (`abc==`, `a===`), a length no
 * encoding has (one character past a multiple of four), bytes that are not UTF-8, or more than
 * `maxChars` characters before the padding.
 */
export function fromBase64Url(s: string, maxChars: number): string | null {
  const m = /^([A-Za-z0-9_-]+)(={0,2})$/.exec(s);
  if (!m) return null;
  const [, body, pad] = m as unknown as [string, string, string];
  if (body.length > maxChars || body.length % 4 === 1) return null;
  if (pad.length > 0 && (body.length + pad.length) % 4 !== 0) return null;
  try {
    const bin = atob(body.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
