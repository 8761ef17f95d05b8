/**
 * Lease tokens. A QueueDO hands out each lease as `<dispatch token>:<seq>` ({@link leaseOf}, when
 * it leases a window), so a consumer's lease names the row it fences: begin and settle find their
 * rows by rowid and then compare the whole lease, token included.
 */

/** The lease a dispatch with `token` hands out for the message row `seq`. */
export function leaseOf(token: string, seq: number): string {
  return `${token}:${seq}`;
}

/** The message seq a lease was handed out for, or -1 when the lease is not of that form. */
export function seqOfLease(lease: string): number {
  const at = lease.lastIndexOf(":");
  if (at < 1 || at === lease.length - 1) return -1;
  const seq = Number(lease.slice(at + 1));
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : -1;
}
