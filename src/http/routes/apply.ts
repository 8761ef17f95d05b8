/**
 * Sending tasks: `POST /v1/tasks/:name`, `POST /v1/apply` (both with `?wait=S`: one round trip),
 * `POST /v1/apply/bulk`.
 */
import type { Context, Hono } from "hono";
import { MAX_BULK, WireError, checkDepth, isReady, parseOptions, parseSignature, type Handle } from "../../protocol/index.js";
import { applyCanvases } from "../../apply/apply.js";
import { idempotencyKeyOf, type ApplyItem } from "../../apply/apply-item.js";
import { readGroup, readResult } from "../../results/read.js";
import { asObject, onlyFields, readJson } from "../body.js";
import { queryParam, waitMs } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import { pathParam } from "../path-param.js";

function callArgs(body: Record<string, unknown>): Pick<ApplyItem, "args" | "kwargs" | "options"> {
  const { args, kwargs, options } = body;
  checkDepth(args, "args");
  checkDepth(kwargs, "kwargs");
  if (args !== undefined && args !== null && !Array.isArray(args)) throw new WireError("invalid_signature", "args: must be a list", "args");
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== "object" || Array.isArray(kwargs))) {
    throw new WireError("invalid_signature", "kwargs: must be an object", "kwargs");
  }
  return {
    args: (args as unknown[] | null | undefined) ?? undefined,
    kwargs: (kwargs as Record<string, unknown> | null | undefined) ?? undefined,
    options: options === undefined || options === null ? undefined : parseOptions(options, "options"),
  };
}

/**
 * The answer to a send: `202` with the handle; with `?wait=S` (checked before anything is sent),
 * `200` with the handle plus `result` when the task its handle names is ready within S seconds,
 * read as `GET /v1/results/:id?wait=S` reads it (a group handle: `202` once the group is ready). A send without an idempotency key made the task
 * itself: only its result shard can hold its result yet, and nothing else is asked (readResult's
 * `fresh`); a replayed key may name an older task, read as any other.
 */
async function answer(c: Context<ApiEnv>, item: ApplyItem, handle: Handle, wait: number | undefined): Promise<Response> {
  if (wait === undefined) return c.json(handle, 202);
  // A group has no result of its own (its id reads PENDING): the wait ends when its members are
  // all ready (GET /v1/groups/:id then reads it ready) or S is up, and the answer is the handle.
  if (handle.kind === "group") return (await readGroup(c.env, handle.id, wait), c.json(handle, 202));
  const fresh = idempotencyKeyOf(item) === undefined;
  const result = await readResult(c.env, handle.id, wait, (p) => c.executionCtx.waitUntil(p), { fresh });
  return isReady(result.state) ? c.json({ ...handle, result }, 200) : c.json(handle, 202);
}

/** `?wait=` in ms, or undefined when absent. @throws `invalid_request` at `wait`. */
function waitOf(c: Context<ApiEnv>): number | undefined {
  const raw = queryParam(c, "wait");
  return raw === undefined ? undefined : waitMs(raw);
}

/** Registers the apply routes. */
export function applyRoutes(api: Hono<ApiEnv>): void {
  api.post("/v1/tasks/:name", need("enqueue"), async (c) => {
    const wait = waitOf(c);
    // An empty body is `{}`; a JSON `null` is not an object (422, as on /v1/apply).
    const raw = await readJson(c.req.raw, true);
    const body = asObject(raw === undefined ? {} : raw, "invalid_signature");
    const item: ApplyItem = { canvas: parseSignature({ ...body, task: pathParam(c, "name") }), path: "" };
    const [handle] = await applyCanvases(c.env, c.get("app"), [item]);
    return answer(c, item, handle!, wait);
  });

  api.post("/v1/apply", need("enqueue"), async (c) => {
    const wait = waitOf(c);
    const body = asObject(await readJson(c.req.raw), "invalid_signature");
    const item: ApplyItem =
      "signature" in body ? { canvas: parseSignature(body.signature, "signature"), path: "signature", ...callArgs(body) } : { canvas: parseSignature(body), path: "" };
    const [handle] = await applyCanvases(c.env, c.get("app"), [item]);
    return answer(c, item, handle!, wait);
  });

  api.post("/v1/apply/bulk", need("enqueue"), async (c) => {
    const body = asObject(await readJson(c.req.raw), "invalid_request");
    onlyFields(body, ["signatures"], "a bulk apply");
    const sigs = body.signatures;
    if (!Array.isArray(sigs)) throw new WireError("invalid_request", "signatures: must be a list of signatures", "signatures");
    if (sigs.length < 1 || sigs.length > MAX_BULK) {
      throw new WireError("invalid_request", `signatures: must hold 1 to ${MAX_BULK} signatures, not ${sigs.length}`, "signatures");
    }
    const items = sigs.map((s, i): ApplyItem => ({ canvas: parseSignature(s, `signatures.${i}`), path: `signatures.${i}` }));
    const handles = await applyCanvases(c.env, c.get("app"), items);
    return c.json({ handles }, 202);
  });
}
