/**
 * Periodic tasks, as Celery beat's entries: a name, when (a cron expression or every N seconds)
 * and the signature to apply. Pure: when an entry is first due and when it is due next.
 */
import { MAX_OPTION_SECONDS, type WireSignature } from "../protocol/index.js";
import { nextCronTime, parseCron, type Cron } from "./cron.js";

/**
 * When a schedule runs: exactly one of a cron expression or an interval in seconds. A cron
 * expression is read in UTC, or on the wall clock of `tz` (an IANA name such as
 * `America/New_York`, daylight saving included).
 */
export type ScheduleWhen = { cron: string; tz?: string; every?: undefined } | { every: number; cron?: undefined; tz?: undefined };

/** A registered schedule (see `App.schedule`). */
export interface ScheduleDefinition {
  name: string;
  /** The parsed cron expression, for a cron schedule. */
  cron: Cron | null;
  /** The interval in seconds, for an `every` schedule. */
  every: number | null;
  /** The signature applied at each run, in its wire form. */
  signature: WireSignature;
}

/** A schedule as `GET /v1/schedules` answers it. */
export interface ScheduleInfo {
  name: string;
  cron?: string;
  /** The time zone of a cron schedule, when it names one. */
  tz?: string;
  every?: number;
  signature: WireSignature;
  last_run_at: string | null;
  next_run_at: string | null;
}

/**
 * When a schedule first runs once it is known: a cron schedule at its first matching minute
 * from the start of the current minute on (so a Cron Trigger firing at 12:05:00.3 runs a
 * `*\/5` schedule at once); an interval schedule one interval from now, as Celery beat.
 */
export function firstRunAt(def: ScheduleDefinition, now: number): number | null {
  if (def.cron) return nextCronTime(def.cron, Math.floor(now / 60_000) * 60_000 - 1);
  return now + (def.every ?? 60) * 1000;
}

/**
 * When a schedule that was due at `due` and ran at `now` runs next. Missed runs are not caught
 * up (as Celery beat): an interval schedule skips to the first slot after now.
 */
export function nextRunAt(def: ScheduleDefinition, due: number, now: number): number | null {
  if (def.cron) return nextCronTime(def.cron, Math.max(due, now));
  const every = (def.every ?? 60) * 1000;
  const next = due + every;
  return next > now ? next : now + every;
}

/**
 * What decides a schedule's run times, as one string (`cron <expression> <tz>` or `every <s>`):
 * a schedule whose spec changed (a redeploy edited its `when`) has its next run computed again
 * (see {@link rescheduledAt}). Pure.
 */
export function scheduleSpec(def: ScheduleDefinition): string {
  return def.cron ? `cron ${def.cron.source} ${def.cron.tz ?? "UTC"}` : `every ${def.every ?? 60}`;
}

/**
 * When a schedule whose definition changed runs next, as Celery beat judges an edited entry: by
 * its new definition from its last run (a slot already past runs at the next tick, once), or as a
 * new schedule when it never ran. The next run kept from the old definition would have held a
 * schedule edited from yearly to every minute until the old yearly slot.
 */
export function rescheduledAt(def: ScheduleDefinition, lastRunAt: number | null, now: number): number | null {
  if (lastRunAt === null) return firstRunAt(def, now);
  if (def.cron) return nextCronTime(def.cron, lastRunAt);
  return lastRunAt + (def.every ?? 60) * 1000;
}

/**
 * Checks a schedule's `when` and returns its definition.
 * @throws Error (a programmer error at registration) for a bad cron or interval.
 */
export function defineSchedule(name: string, when: ScheduleWhen, signature: WireSignature): ScheduleDefinition {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(name)) throw new Error(`schedule name '${name}': letters, digits and . _ : - only, at most 128`);
  const hasCron = typeof when.cron === "string";
  const hasEvery = typeof when.every === "number";
  if (hasCron === hasEvery) throw new Error(`schedule '${name}': give exactly one of cron or every`);
  if (when.tz !== undefined && (hasEvery || typeof when.tz !== "string")) throw new Error(`schedule '${name}': tz is a time zone name, for a cron schedule only`);
  if (hasEvery) {
    const every = when.every as number;
    if (!Number.isFinite(every) || every < 1) throw new Error(`schedule '${name}': every must be at least 1 second, not ${every}`);
    // Past it the run time is no date (GET /v1/schedules answered 500 for every: 1e13).
    if (every > MAX_OPTION_SECONDS) throw new Error(`schedule '${name}': every must be at most ${MAX_OPTION_SECONDS} seconds (10 years), not ${every}`);
    return { name, cron: null, every, signature };
  }
  const cron = parseCron(when.cron as string, when.tz);
  if (nextCronTime(cron, Date.now()) === null) throw new Error(`schedule '${name}': '${when.cron}' never matches`);
  return { name, cron, every: null, signature };
}
