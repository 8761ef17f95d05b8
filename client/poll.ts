/**
 * Waiting for a result: repeated long polls (`?wait=S`, S at most {@link MAX_WAIT_S}) until the
 * answer is ready or the caller's timeout passes.
 */
import { MAX_WAIT_S } from "../src/protocol/shared.js";
import { TimeoutError } from "./errors.js";
import { sleep } from "./sleep.js";

/** How long to wait for a result. */
export interface WaitOptions {
  /**
   * Seconds to wait in all before throwing {@link TimeoutError} (default: no limit), whatever the
   * network does: a request the server has not answered by then is given up.
   */
  timeout?: number;
  /** Seconds to pause between two polls that came back not ready (default 0.5, as Celery). */
  interval?: number;
  /** Ends the wait: the call rejects with the signal's reason, and the request in flight is aborted. */
  signal?: AbortSignal;
}

/**
 * How long past the caller's deadline a poll that has not answered is given up: a `?wait` poll
 * is answered by the server at its own end, which is the deadline.
 */
const ANSWER_GRACE_MS = 1000;

/** The `?wait=` of a poll: the time left, in seconds to the millisecond, at most MAX_WAIT_S. */
function waitLeft(deadline: number): number {
  return Math.max(0, Math.min(MAX_WAIT_S, Math.round(deadline - Date.now()) / 1000));
}

/**
 * Runs one request with a signal that aborts when `outer` does or at `until` (epoch ms; then with
 * `late()`, a TimeoutError), and rejects with that reason even if the fetch in use ignores signals.
 */
async function bounded<R>(call: (signal: AbortSignal | undefined) => Promise<R>, until: number, outer: AbortSignal | undefined, late: () => Error): Promise<R> {
  outer?.throwIfAborted();
  if (until === Number.POSITIVE_INFINITY && !outer) return call(undefined);
  const ctrl = new AbortController();
  const timer = until === Number.POSITIVE_INFINITY ? undefined : setTimeout(() => ctrl.abort(late()), Math.max(0, until - Date.now()));
  const onOuter = () => ctrl.abort(outer?.reason);
  outer?.addEventListener("abort", onOuter, { once: true });
  const aborted = new Promise<never>((_, reject) => ctrl.signal.addEventListener("abort", () => reject(ctrl.signal.reason), { once: true }));
  aborted.catch(() => undefined);
  try {
    return await Promise.race([call(ctrl.signal), aborted]);
  } catch (err) {
    throw ctrl.signal.aborted ? ctrl.signal.reason : err;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuter);
  }
}

/** Pauses `ms` between polls; rejects with the signal's reason when it aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!(await sleep(ms, signal))) signal?.throwIfAborted();
}

/**
 * A wait's options checked, with its deadline (epoch ms; Infinity without a timeout) and the
 * error it ends with when the deadline passes.
 * @throws TypeError for a negative or non-numeric timeout or interval.
 */
function waitPlan(options: WaitOptions, what: string): { interval: number; signal: AbortSignal | undefined; deadline: number; late: () => TimeoutError } {
  const { timeout, interval = 0.5, signal } = options;
  if (timeout !== undefined && !(timeout >= 0)) throw new TypeError(`timeout must be a number of seconds >= 0, got ${String(timeout)}`);
  if (!(interval >= 0)) throw new TypeError(`interval must be a number of seconds >= 0, got ${String(interval)}`);
  const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout * 1000;
  return { interval, signal, deadline, late: () => new TimeoutError(`${what} was not ready within ${timeout}s`) };
}

/**
 * Calls `poll(waitSeconds, signal)` until `isReady` holds for its answer, and returns that answer.
 * @throws TimeoutError when `timeout` passes first (a poll still unanswered is aborted).
 * @throws the reason of `options.signal` when it aborts.
 */
export async function pollUntilReady<R>(poll: (waitS: number, signal: AbortSignal | undefined) => Promise<R>, isReady: (answer: R) => boolean, options: WaitOptions, what: string): Promise<R> {
  const { interval, signal, deadline, late } = waitPlan(options, what);
  for (;;) {
    const waitS = waitLeft(deadline);
    const answer = await bounded((s) => poll(waitS, s), deadline + ANSWER_GRACE_MS, signal, late);
    if (isReady(answer)) return answer;
    const left = deadline - Date.now();
    if (left <= 0) throw late();
    await pause(Math.min(interval * 1000, left), signal);
  }
}

/**
 * Calls `poll()` every `interval` and yields each answer whose `key` differs from the last one
 * yielded (the first always), until one `isReady` (yielded, then the end).
 * @throws TimeoutError when `timeout` passes first.
 */
export async function* watchChanges<R>(poll: (signal: AbortSignal | undefined) => Promise<R>, key: (answer: R) => string, isReady: (answer: R) => boolean, options: WaitOptions, what: string): AsyncGenerator<R, void, undefined> {
  const { interval, signal, deadline, late } = waitPlan(options, what);
  let last: string | undefined;
  for (;;) {
    const answer = await bounded(poll, deadline + ANSWER_GRACE_MS, signal, late);
    const k = key(answer);
    if (k !== last) {
      last = k;
      yield answer;
    }
    if (isReady(answer)) return;
    const left = deadline - Date.now();
    if (left <= 0) throw late();
    await pause(Math.min(interval * 1000, left), signal);
  }
}

