/**
 * The API token this Worker is configured with (what callers must present, and what it presents
 * to a peer app over the `service` broker).
 */
import type { EdgeryEnv } from "./env.js";

/** The token in force: EDGERY_TOKEN, else `dev-token` in local dev, else none. */
export function configuredToken(env: EdgeryEnv): string | undefined {
  if (env.EDGERY_TOKEN) return env.EDGERY_TOKEN;
  return env.EDGERY_DEV === "true" ? "dev-token" : undefined;
}
