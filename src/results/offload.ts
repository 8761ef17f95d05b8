/**
 * The consumer's side of large results.
 *
 * - Before a task runs: pointers in its args/kwargs (a chain step or chord body receiving a large
 *   result) are replaced by their values, read from R2. Cost: one R2 GET per pointer, per run; only
 *   messages whose JSON holds the pointer marker are walked, so other tasks pay a substring test.
 * - After it succeeds: a value larger than the task's threshold is written to R2 (key
 *   `value/<task id>/<nonce>`) and the settle carries the signed pointer, never the value.
 */
import type { TaskMessage } from "../protocol/message.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { RunResult } from "../protocol/rpc.js";
import { largeJson, MAX_INLINE_BYTES, POINTER_MARK, PointerSigner, resolvePointers, valueKey } from "./pointer.js";
import type { ResultPolicy } from "../app/result-policy.js";
import { PASS_ON_R2_THRESHOLD } from "../protocol/index.js";
import { loadValue, offloadValue, ValueMissing } from "./r2-backend.js";

/** Seconds before a task whose R2 read or write failed is tried again. */
const BACKEND_RETRY_S = 5;
/** Attempts of an R2 write before giving up on this run. */
const PUT_ATTEMPTS = 3;

/**
 * Resolves the pointers in a message's args/kwargs in place. Answers null when the task can run,
 * else how it ends: a retry when R2 is unavailable, a failure when a value is gone.
 * `rawJson` (the message as delivered, or else its args and kwargs encoded here) is tested for
 * the marker first.
 */
export async function resolveArgs(env: EdgeryEnv, m: TaskMessage, rawJson = argsJson(m)): Promise<RunResult | null> {
  if (!rawJson.includes(POINTER_MARK)) return null;
  const bucket = env.RESULTS_R2;
  const signer = PointerSigner.of(env);
  // Without the key nothing can be told from plain data: the value stays as it is.
  if (!signer) return null;
  try {
    // A signed pointer this Worker cannot read (no bucket bound) fails the task: it would run on
    // the pointer instead of the value (an app of several without RESULTS_R2 did).
    const load = argumentLoader(bucket);
    m.args = (await resolvePointers(m.args, signer, load)) as unknown[];
    m.kwargs = (await resolvePointers(m.kwargs, signer, load)) as Record<string, unknown>;
    return null;
  } catch (err) {
    if (err instanceof ValueMissing) return { kind: "failure", state: "FAILURE", error: { type: "ResultMissing", message: err.message } };
    if (err instanceof NoBucket) return { kind: "failure", state: "FAILURE", error: { type: "ResultBackendError", message: err.message } };
    return { kind: "retry", countdownS: BACKEND_RETRY_S, error: { type: "ResultBackendError", message: `reading a large argument from R2 failed: ${String(err)}` } };
  }
}

/** A large argument held in R2, read by a Worker that binds no bucket (RESULTS_R2). */
export class NoBucket extends Error {
  constructor() {
    super("an argument is a large value kept in R2, and this Worker binds no R2 bucket (RESULTS_R2) to read it");
  }
}

/**
 * How a large argument (a signed pointer in args/kwargs) is read back: from `bucket`, or, with
 * none bound, a rejection with {@link NoBucket}. For {@link resolvePointers}; used before a task
 * runs (resolveArgs) and when a `result_extended` result is read (src/results/extended.ts).
 * @throws ValueMissing (rejects) when the object is gone.
 */
export function argumentLoader(bucket: R2Bucket | undefined): (key: string) => Promise<unknown> {
  return bucket ? (key) => loadValue(bucket, key) : () => Promise.reject(new NoBucket());
}

/** A message's args and kwargs as JSON, "" when it has none (nothing to resolve). */
function argsJson(m: TaskMessage): string {
  return m.args.length > 0 || Object.keys(m.kwargs).length > 0 ? JSON.stringify([m.args, m.kwargs]) : "";
}

/**
 * A success whose value is too large to settle inline becomes a success carrying a pointer, once
 * the value is in R2: past the policy's threshold, or past PASS_ON_R2_THRESHOLD when the value is
 * `passedOn` to a next step or callback (see there). If R2 is missing or keeps refusing, a value
 * that fits a Durable Object row stays inline; a larger one ends the run as a retry (the task runs
 * again later): a result the task produced is never acknowledged without being stored.
 */
export async function offloadResult(env: EdgeryEnv, policy: ResultPolicy, taskId: string, outcome: RunResult, passedOn = false): Promise<RunResult> {
  if (outcome.kind !== "success") return outcome;
  const big = largeJson(outcome.value, passedOn ? Math.min(policy.r2Threshold, PASS_ON_R2_THRESHOLD) : policy.r2Threshold);
  if (!big) return outcome;
  const signer = PointerSigner.of(env);
  const bucket = signer ? env.RESULTS_R2 : undefined;
  let lastErr: unknown = "no R2 bucket is bound (RESULTS_R2)";
  if (bucket && signer) {
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      try {
        return { ...outcome, value: await offloadValue(bucket, signer, await valueKey(taskId), big.json, big.bytes) };
      } catch (err) {
        lastErr = err;
        if (attempt < PUT_ATTEMPTS) await new Promise((r) => setTimeout(r, 100 * attempt * attempt));
      }
    }
    console.error(`edgery: storing the ${big.bytes}-byte result of ${taskId} in R2 failed`, lastErr);
  }
  if (big.bytes <= MAX_INLINE_BYTES) return outcome;
  if (!bucket) {
    return { kind: "failure", state: "FAILURE", error: { type: "ResultTooLarge", message: `the result (${big.bytes} bytes) is larger than ${MAX_INLINE_BYTES} bytes and no R2 bucket is bound (RESULTS_R2)` } };
  }
  return {
    kind: "retry",
    countdownS: BACKEND_RETRY_S,
    error: { type: "ResultBackendError", message: `the result (${big.bytes} bytes) is too large to store without R2: ${String(lastErr)}` },
  };
}
