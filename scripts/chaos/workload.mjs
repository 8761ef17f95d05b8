// The fault harness's workload: N tasks as Celery signatures, every one with its own task_id and
// its expected result, so that after a fault each id is read once and judged. A "unit" mixes the
// shapes the issue asks for: a plain task, a chord (3 header members + body), a link callback,
// a countdown, a self-retrying task and a late-ack task (10 task ids per unit).

/** @typedef {{ task: string, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown>, subtask_type: string | null, immutable: boolean }} Sig */

/** @returns {Sig} */
function sig(task, args, options) {
  return { task, args, kwargs: {}, options, subtask_type: null, immutable: false };
}

/** Tasks (result ids) per unit. */
export const TASKS_PER_UNIT = 10;

/**
 * Builds the workload for `n` tasks (rounded up to whole units) on queue `queue`.
 * `sleepMs` > 0 adds a `demo.sleep(sleepMs)` late-ack task per unit (a task that is running
 * when a consumer is killed) in place of the plain add. `allLate` makes every task `acks_late`
 * (delivered again when its consumer is lost); otherwise only the sleeper and `demo.add_late`
 * are, and an early-ack task running when its consumer dies ends FAILURE WorkerLostError, as
 * documented (README, "Late acks and lost workers").
 * @param {{ queue: string, n: number, prefix: string, sleepMs?: number, allLate?: boolean }} o
 * @returns {{ signatures: Sig[], expected: Map<string, unknown> }}
 */
export function buildWorkload({ queue, n, prefix, sleepMs = 0, allLate = false }) {
  const signatures = [];
  const expected = new Map();
  const units = Math.ceil(n / TASKS_PER_UNIT);
  for (let u = 0; u < units; u++) {
    const id = (k) => `${prefix}-${u}-${k}`;
    const opts = (k, extra = {}) => ({ queue, task_id: id(k), ...(allLate ? { acks_late: true } : {}), ...extra });
    // 1 plain task (or a late-ack sleeper).
    if (sleepMs > 0) {
      signatures.push(sig("demo.sleep", [sleepMs], opts("a", { acks_late: true })));
      expected.set(id("a"), sleepMs);
    } else {
      signatures.push(sig("demo.add", [u, 1], opts("a")));
      expected.set(id("a"), u + 1);
    }
    // 4: a chord of three members and a body that sums them (one join).
    const header = [1, 2, 3].map((k) => sig("demo.identity", [u + k], opts(`h${k}`)));
    header.forEach((h, k) => expected.set(id(`h${k + 1}`), u + k + 1));
    signatures.push({
      task: "celery.chord",
      args: [],
      kwargs: { header, body: sig("demo.xsum", [], opts("body")), kwargs: {} },
      options: { queue },
      subtask_type: "chord",
      immutable: false,
    });
    expected.set(id("body"), 3 * u + 6);
    // 2: a task with a link callback (the callback gets the result).
    signatures.push(sig("demo.add", [u, 3], opts("l", { link: [sig("demo.identity", [], opts("cb"))] })));
    expected.set(id("l"), u + 3);
    expected.set(id("cb"), u + 3);
    // 1: a countdown.
    signatures.push(sig("demo.add", [u, 2], opts("c", { countdown: 1 })));
    expected.set(id("c"), u + 2);
    // 1: retries itself twice (attempt 3 succeeds and returns its retry count).
    signatures.push(sig("demo.retry_until", [3], opts("r")));
    expected.set(id("r"), 2);
    // 1: a late-ack task (acked after it ran).
    signatures.push(sig("demo.add_late", [u, 4], opts("k")));
    expected.set(id("k"), u + 4);
  }
  return { signatures, expected };
}

/** Splits a list into slices of at most `size`. */
export function slices(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
