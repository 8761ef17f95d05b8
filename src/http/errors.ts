/**
 * The one error mapper of the HTTP front door: anything thrown while answering a request becomes
 * the contract's JSON error (`{"error": {"code", "message", "path"?}}`) with its status.
 */
import { WireError } from "../protocol/index.js";
import { BrokerUnavailableError, QueueFullError } from "../brokers/broker.js";
import { isMissingRpcMethod } from "../runtime/stubs.js";

/** True for a Durable Object that asked its callers to back off (Cloudflare marks it so). */
function isOverloaded(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { overloaded?: unknown }).overloaded === true;
}

/**
 * Why a thrown value is back-pressure, for the log, or null when it is not: a full queue, a peer
 * app or a Durable Object that cannot take it now, or one still on an older version mid-deploy,
 * without the method called.
 */
function backPressure(err: unknown): string | null {
  if (err instanceof QueueFullError || err instanceof BrokerUnavailableError || isOverloaded(err)) return "overloaded";
  if (isMissingRpcMethod(err)) return "a Durable Object still runs an older version (a deploy under way); answered 503";
  return null;
}

/**
 * The wire error a thrown value answers as: back-pressure (see backPressure) is
 * `503 overloaded`, to be sent again; anything else unexpected is `500 internal`, logged here
 * once, its details kept out of the answer.
 */
export function wireErrorOf(err: unknown): WireError {
  if (err instanceof WireError) return err;
  const why = backPressure(err);
  if (why !== null) {
    console.error(`edgery: ${why}`, err);
    return new WireError("overloaded", "the request could not be carried out now; try again");
  }
  console.error("edgery: unexpected error", err);
  return new WireError("internal", "an unexpected error occurred; it was logged");
}

/** The JSON answer for a thrown value; 503s carry `Retry-After`. */
export function errorResponse(err: unknown, extraHeaders: Record<string, string> = {}): Response {
  const e = wireErrorOf(err);
  const headers: Record<string, string> = { "content-type": "application/json", ...extraHeaders };
  if (e.status === 503) headers["retry-after"] = "1";
  return new Response(JSON.stringify(e.toJSON()), { status: e.status, headers });
}
