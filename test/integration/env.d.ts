// The bindings the integration tests see through `cloudflare:test`'s `env` (wrangler.toml).
import type { EdgeryEnv } from "../../src/runtime/env";

declare global {
  namespace Cloudflare {
    interface Env extends EdgeryEnv {
      EDGERY_DEMO_TASKS?: string;
    }
  }
}
