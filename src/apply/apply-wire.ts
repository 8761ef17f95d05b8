/**
 * Applies one signature in Celery's wire JSON from inside the Worker (a running task's
 * `ctx.send` / `ctx.apply`): parsed and checked exactly as the API does, then applied.
 */
import { parseSignature, type Handle, type WireSignature } from "../protocol/index.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { applyCanvases } from "./apply.js";

/**
 * Applies `signature` and answers its handle; `sender`, the running task, becomes the new
 * tasks' parent (and lends them its root).
 * @throws WireError as the API would answer it (invalid_signature, unknown_task, ...).
 */
export async function applyWire(env: EdgeryEnv, app: App, signature: WireSignature, sender?: { id: string; rootId: string }): Promise<Handle> {
  const [handle] = await applyCanvases(env, app, [{ canvas: parseSignature(signature), path: "", sender }]);
  return handle!;
}
