/**
 * Reading a request body: the 1 MiB limit, then JSON.
 */
import { MAX_BODY_BYTES, WireError } from "../protocol/index.js";

/** The JSON body, or `undefined` for an empty one when `optional`. */
export async function readJson(req: Request, optional = false): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new WireError("payload_too_large", `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const buf = await req.arrayBuffer();
  if (buf.byteLength > MAX_BODY_BYTES) throw new WireError("payload_too_large", `the body is ${buf.byteLength} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const text = new TextDecoder().decode(buf);
  if (text.trim() === "") {
    if (optional) return undefined;
    throw new WireError("invalid_json", "the body is empty; a JSON object is expected");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new WireError("invalid_json", `the body is not JSON: ${(err as Error).message}`);
  }
}

/** The body as a JSON object, or `invalid_code` naming what it is instead. */
export function asObject(value: unknown, code: "invalid_signature" | "invalid_request"): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireError(code, `the body must be a JSON object, not ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }
  return value as Record<string, unknown>;
}
