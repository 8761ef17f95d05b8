/**
 * Waiting for a result: repeated long polls (`?wait=S`, S at most {@link MAX_WAIT_S}) until the
 * answer is ready or the caller's timeout passes.
 */
import { MAX_WAIT_S } from "../src/protocol/shared.js";
import { TimeoutError } from "./errors.js";
import { sleep } from "./sleep.js";

/** How long to wait for a result. */
export interface WaitOptions {
  /** Seconds to wait in all before throwing {@link TimeoutError} (default: no limit). */
  timeout?: number;
  /** Seconds to pause between two polls that came back not ready (default 0.5, as Celery). */
  interval?: number;
}

/**
 * Calls `poll(waitSeconds)` until `isReady` holds for its answer, and returns that answer.
 * @throws TimeoutError when `timeout` passes first.
 */
export async function pollUntilReady<R>(poll: (waitS: number) => Promise<R>, isReady: (answer: R) => boolean, options: WaitOptions, what: string): Promise<R> {
  const { timeout, interval = 0.5 } = options;
  if (timeout !== undefined && !(timeout >= 0)) throw new TypeError(`timeout must be a number of seconds >= 0, got ${String(timeout)}`);
  if (!(interval >= 0)) throw new TypeError(`interval must be a number of seconds >= 0, got ${String(interval)}`);
  const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout * 1000;
  for (;;) {
    const waitS = Math.max(0, Math.min(MAX_WAIT_S, Math.ceil((deadline - Date.now()) / 1000)));
    const answer = await poll(waitS);
    if (isReady(answer)) return answer;
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError(`${what} was not ready within ${timeout}s`);
    await sleep(Math.min(interval * 1000, left));
  }
}

/**
 * Calls `poll()` every `interval` and yields each answer whose `key` differs from the last one
 * yielded (the first always), until one `isReady` (yielded, then the end).
 * @throws TimeoutError when `timeout` passes first.
 */
export async function* watchChanges<R>(poll: () => Promise<R>, key: (answer: R) => string, isReady: (answer: R) => boolean, options: WaitOptions, what: string): AsyncGenerator<R, void, undefined> {
  const { timeout, interval = 0.5 } = options;
  if (timeout !== undefined && !(timeout >= 0)) throw new TypeError(`timeout must be a number of seconds >= 0, got ${String(timeout)}`);
  if (!(interval >= 0)) throw new TypeError(`interval must be a number of seconds >= 0, got ${String(interval)}`);
  const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout * 1000;
  let last: string | undefined;
  for (;;) {
    const answer = await poll();
    const k = key(answer);
    if (k !== last) {
      last = k;
      yield answer;
    }
    if (isReady(answer)) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError(`${what} was not ready within ${timeout}s`);
    await sleep(Math.min(interval * 1000, left));
  }
}

