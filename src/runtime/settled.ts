/**
 * Fan-outs that tolerate a failing member: the values of the calls that went through.
 */

/** The fulfilled values, in order; `onRejected` hears of each failure (its index and reason). */
export function fulfilled<T>(settled: Array<PromiseSettledResult<T>>, onRejected: (index: number, reason: unknown) => void): T[] {
  const out: T[] = [];
  settled.forEach((r, i) => {
    if (r.status === "fulfilled") out.push(r.value);
    else onRejected(i, r.reason);
  });
  return out;
}
