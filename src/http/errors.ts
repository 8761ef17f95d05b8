/**
 * The one error mapper of the HTTP front door: anything thrown while answering a request becomes
 * the contract's JSON error (`{"error": {"code", "message", "path"?}}`) with its status.
 */
import { WireError } from "../protocol/index.js";

/** The wire error a thrown value answers as; anything unexpected is logged here, once. */
export function wireErrorOf(err: unknown): WireError {
  if (err instanceof WireError) return err;
  console.error("edgery: unexpected error", err);
  return new WireError("overloaded", "the request could not be carried out now; try again");
}

/** The JSON answer for a thrown value; 503s carry `Retry-After`. */
export function errorResponse(err: unknown, extraHeaders: Record<string, string> = {}): Response {
  const e = wireErrorOf(err);
  const headers: Record<string, string> = { "content-type": "application/json", ...extraHeaders };
  if (e.status === 503) headers["retry-after"] = "1";
  return new Response(JSON.stringify(e.toJSON()), { status: e.status, headers });
}
