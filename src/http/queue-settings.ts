/**
 * A queue's settings as a request sends them (`PUT /v1/queues/:name`, and the same call from a
 * peer app's broker): the one parser of both.
 */
import { z } from "zod";
import { MAX_PREFETCH, WireError } from "../protocol/index.js";
import type { QueueSettings } from "../brokers/broker.js";
import { asObject } from "./body.js";

const settingsSchema = z.strictObject({
  concurrency: z.number().int("must be an integer").min(1, "must be at least 1").max(100_000).optional(),
  paused: z.boolean().optional(),
  /** Back-pressure bound (an addition to the contract): past it, sending answers 503 overloaded. */
  max_waiting: z.number().int("must be an integer").min(1, "must be at least 1").max(100_000_000).optional(),
  /** How many of the queue's tasks one delivery may carry (an addition to the contract). */
  prefetch: z.number().int("must be an integer").min(1, "must be at least 1").max(MAX_PREFETCH, `must be at most ${MAX_PREFETCH}`).optional(),
});

/**
 * Queue settings from a request body: only the known settings, each in range.
 * @throws WireError `invalid_request` naming the setting (none for a body that is not an object).
 */
export function parseQueueSettings(value: unknown): QueueSettings {
  const parsed = settingsSchema.safeParse(asObject(value, "invalid_request"));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(",") : "");
  throw new WireError("invalid_request", `${path || "settings"}: ${issue.message}`, path || undefined);
}
