/**
 * The Hono environment of the API.
 */
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";

/** Bindings and per-request variables of the API. */
export interface ApiEnv {
  Bindings: EdgeryEnv;
  Variables: { app: App };
}
