/**
 * Cron expressions, parsed and stepped by croner (a kept, dependency-free library that runs in
 * Workers: no Node API, time zones through `Intl`). Five fields (minute hour day-of-month month
 * day-of-week), each `*`, a number, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n`, or a comma
 * list of those; month and day-of-week also take English three-letter names (`JAN`, `MON`), and
 * day-of-week 7 is Sunday. croner also takes `L`, `W`, `#` and nicknames such as `@daily`.
 *
 * Times are UTC, as Cloudflare's Cron Triggers, unless the schedule names an IANA time zone: then
 * the fields are read on that zone's wall clock, daylight saving included (a fixed time skipped
 * by the clock change runs at the first valid time after it; a time that occurs twice runs once).
 *
 * As in Vixie cron, when both day-of-month and day-of-week are restricted (neither is `*`), a
 * day matches if either matches.
 */
import { Cron as CronJob } from "croner";

/** A parsed cron expression and the zone it is read in. */
export interface Cron {
  /** The expression as written. */
  source: string;
  /** The IANA time zone its fields are read in; undefined for UTC. */
  tz: string | undefined;
  /** croner's parsed pattern (no function, so it never sets a timer). */
  job: CronJob;
}

/** A cron expression or time zone that does not parse; `message` says what is wrong. */
export class CronError extends Error {
  override readonly name = "CronError";
}

/**
 * Parses a five-field cron expression, read in `tz` (an IANA name such as `America/New_York`)
 * or in UTC.
 * @throws CronError for a bad expression or an unknown time zone.
 */
export function parseCron(source: string, tz?: string): Cron {
  // croner fills a `?` with the current time at parse: each isolate would read it differently.
  if (source.includes("?")) throw new CronError(`'${source}': '?' is not supported, use '*'`);
  const fields = source.trim().split(/\s+/).length;
  if (fields !== 5 && !source.trim().startsWith("@")) throw new CronError(`a cron expression has 5 fields (minute hour day-of-month month day-of-week), not ${fields}: '${source}'`);
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
    } catch {
      throw new CronError(`'${tz}' is not an IANA time zone (e.g. 'America/New_York')`);
    }
  }
  try {
    // `utcOffset: 0` for UTC: croner's default is the host's local zone.
    const job = new CronJob(source, { mode: "5-part", sloppyRanges: true, ...(tz === undefined ? { utcOffset: 0 } : { timezone: tz }) });
    return { source, tz, job };
  } catch (e) {
    throw new CronError(`'${source}': ${(e as Error).message.replace(/^CronPattern: /, "")}`);
  }
}

/**
 * The first whole minute strictly after `after` (epoch ms) that the expression matches, in
 * epoch ms; null when it never matches (e.g. `0 0 31 2 *`).
 */
export function nextCronTime(cron: Cron, after: number): number | null {
  return cron.job.nextRun(new Date(after))?.getTime() ?? null;
}
