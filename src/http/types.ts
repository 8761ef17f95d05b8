/**
 * The Hono environment of the API.
 */
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import type { Scope } from "../runtime/tokens.js";

/** Bindings and per-request variables of the API. */
export interface ApiEnv {
  Bindings: EdgeryEnv;
  /** `scopes`: the request's token's, once authenticated (src/http/auth.ts). */
  Variables: { app: App; scopes?: ReadonlySet<Scope> };
}
