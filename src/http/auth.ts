/**
 * Bearer-token auth, failing closed: no token configured (outside local dev) → 503.
 */
import { WireError } from "../protocol/index.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { configuredToken } from "../runtime/tokens.js";

/** Compares in time independent of where the strings differ. */
function sameString(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Throws `not_configured` or `unauthorized` unless the request carries the token. */
export function checkAuth(env: EdgeryEnv, header: string | null | undefined): void {
  const token = configuredToken(env);
  if (!token) throw new WireError("not_configured", "no API token is configured (set the EDGERY_TOKEN secret)");
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match || !sameString(match[1]!.trim(), token)) throw new WireError("unauthorized", "missing or wrong bearer token");
}
