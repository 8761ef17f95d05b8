/**
 * A dead letter, as `GET /v1/dead-letters` lists it (shared with the client).
 */
import type { WireSignature } from "./signature.js";

/** A task that failed for good. */
export interface DeadLetter {
  /** The failed task's id (replaying gives a new one). */
  id: string;
  task: string;
  queue: string;
  error: { type: string; message: string };
  /** When it failed for good (ISO-8601). */
  failed_at: string;
  signature: WireSignature;
}
