/**
 * A begun task's lease, as a QueueDO keeps it: when it ends, how its worker proves it is alive,
 * and what the alarm does with one whose deadline passed.
 *
 * A begun row has `lease_end` (the hard time limit plus grace, or the visibility timeout) and
 * `deadline`, the earlier of `lease_end` and its worker's liveness lease (WORKER_LEASE_MS from
 * the last renewal; heartbeats renew it). So when `deadline` passes before `lease_end`, the
 * heartbeats stopped: the worker is lost. When it passes at `lease_end`, the worker was alive
 * to the end: a time-limited task ran past its limit.
 */
import { DEFAULT_VISIBILITY_TIMEOUT_S, MAX_DELIVERIES, WORKER_LEASE_MS } from "../src/protocol/index.js";
import type { MessageRow } from "./queue-schema.js";
import { seqOfLease } from "../src/runtime/lease.js";

/**
 * The `started` of a row its queue began for a direct hand-off whose consumer has not confirmed
 * it yet (0: not begun, 1: begun; see MessageRow.started). Such a task has run nothing.
 */
export const HANDED_OFF = 2;

/**
 * The leased rows of these leases (parameters ?1 and ?2, from {@link heldLeases}): each found by
 * its seq (a lease is "<dispatch token>:<seq>": rowid probes, as leasedRows does; `lease` has no
 * index), then its lease compared.
 */
export const HELD_LEASES = "seq IN (SELECT value FROM json_each(?1)) AND state = 'leased' AND lease IN (SELECT value FROM json_each(?2))";

/** The parameters of {@link HELD_LEASES} for these leases. */
export function heldLeases(leases: string[]): [string, string] {
  return [JSON.stringify(leases.map(seqOfLease)), JSON.stringify(leases)];
}

/** A heartbeat renews a lease only once less than this is left (most heartbeats write nothing). */
const RENEW_BELOW_MS = (WORKER_LEASE_MS * 2) / 3;

/** The times a row gets when a consumer begins it with this hard limit (ms, grace included). */
export function begunLease(now: number, timeLimitMs: number | null): { leaseEnd: number; deadline: number; limited: 0 | 1 } {
  const leaseEnd = now + (timeLimitMs ?? DEFAULT_VISIBILITY_TIMEOUT_S * 1000);
  return { leaseEnd, deadline: Math.min(now + WORKER_LEASE_MS, leaseEnd), limited: timeLimitMs ? 1 : 0 };
}

/**
 * Renews the liveness lease of begun rows whose heartbeat came (`rows` are held under the
 * caller's leases): `deadline` moves to WORKER_LEASE_MS from now, never past `lease_end`.
 * One statement, inside the caller's transaction.
 */
export function renewLeases(sql: SqlStorage, rows: Array<Pick<MessageRow, "seq" | "started" | "deadline" | "lease_end">>, now: number): void {
  const due = rows.filter((r) => r.started === 1 && r.deadline !== null && r.deadline < now + RENEW_BELOW_MS && (r.lease_end === null || r.deadline < r.lease_end));
  if (due.length === 0) return;
  sql.exec(
    "UPDATE messages SET deadline = MIN(COALESCE(lease_end, ?), ?) WHERE seq IN (SELECT value FROM json_each(?))",
    now + WORKER_LEASE_MS,
    now + WORKER_LEASE_MS,
    JSON.stringify(due.map((r) => r.seq)),
  );
}

/** What the alarm does with a leased row whose deadline passed. */
export type ExpiredLease =
  /** Never begun, or handed straight to a consumer that never confirmed it: back to waiting. */
  | "return"
  /** Its worker was alive to its hard limit: FAILURE TimeLimitExceeded. */
  | "time-limit"
  /** acks_late, not acknowledged, worker lost: delivered again. */
  | "redeliver"
  /** Worker lost after the task was acknowledged (early ack, or acknowledge()): FAILURE WorkerLostError. */
  | "lost"
  /** acks_late, lost again after MAX_DELIVERIES deliveries: FAILURE WorkerLostError, a poison message. */
  | "poison";

/** The alarm's decision for an expired lease (pure). */
export function expiredLease(row: Pick<MessageRow, "started" | "time_limited" | "deadline" | "lease_end" | "acked" | "deliveries">, acksLate: boolean): ExpiredLease {
  if (row.started === 0 || row.started === HANDED_OFF) return "return";
  const aliveToEnd = row.lease_end === null || (row.deadline !== null && row.deadline >= row.lease_end);
  if (aliveToEnd && row.time_limited === 1) return "time-limit";
  // Lost (or, without a time limit, past its visibility timeout: as Celery, the same as lost).
  if (!acksLate || row.acked === 1) return "lost";
  return row.deliveries < MAX_DELIVERIES ? "redeliver" : "poison";
}
