/**
 * A small cron parser: five fields (minute hour day-of-month month day-of-week), each `*`, a
 * number, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n`, or a comma list of those; month and
 * day-of-week also take English three-letter names (`JAN`, `MON`), and day-of-week 7 is Sunday.
 * Times are UTC, as Cloudflare's Cron Triggers. Pure.
 *
 * As in Vixie cron, when both day-of-month and day-of-week are restricted (neither is `*`), a
 * day matches if either matches.
 */

/** A parsed cron expression: the allowed values of each field. */
export interface Cron {
  /** The expression as written. */
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 (Sunday) to 6. */
  weekdays: ReadonlySet<number>;
  /** False when day-of-month is `*`. */
  daysRestricted: boolean;
  /** False when day-of-week is `*`. */
  weekdaysRestricted: boolean;
}

/** A cron expression that does not parse; `message` says which field and why. */
export class CronError extends Error {
  override readonly name = "CronError";
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Offset of names[0] (1 for months, 0 for weekdays). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: "day-of-week", min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

function value(text: string, spec: FieldSpec): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${spec.name}: '${text}' is not a number`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw new CronError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function field(text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(`${spec.name}: empty list item in '${text}'`);
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined || range === undefined || range === "") throw new CronError(`${spec.name}: '${part}' is not a range or step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronError(`${spec.name}: step '${stepText}' must be a positive integer`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === undefined || b === undefined) throw new CronError(`${spec.name}: '${range}' is not a range`);
      lo = value(a, spec);
      hi = value(b, spec);
      if (lo > hi) throw new CronError(`${spec.name}: range '${range}' runs backwards`);
    } else {
      lo = value(range, spec);
      hi = stepText !== undefined ? spec.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/**
 * Parses a five-field cron expression.
 * @throws CronError naming the field at fault.
 */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`a cron expression has 5 fields (minute hour day-of-month month day-of-week), not ${parts.length}: '${source}'`);
  const [minutes, hours, days, months, weekdaysRaw] = parts.map((p, i) => field(p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const weekdays = new Set([...weekdaysRaw].map((d) => d % 7));
  return {
    source,
    minutes,
    hours,
    days,
    months,
    weekdays,
    daysRestricted: parts[2] !== "*" && !parts[2]!.startsWith("*/"),
    weekdaysRestricted: parts[4] !== "*" && !parts[4]!.startsWith("*/"),
  };
}

function dayMatches(cron: Cron, d: Date): boolean {
  const dom = cron.days.has(d.getUTCDate());
  const dow = cron.weekdays.has(d.getUTCDay());
  if (cron.daysRestricted && cron.weekdaysRestricted) return dom || dow;
  return dom && dow;
}

/** How far ahead {@link nextCronTime} looks before it gives up (an impossible date, e.g. Feb 31). */
const HORIZON_MS = 5 * 366 * 86_400_000;

/**
 * The first whole minute strictly after `after` (epoch ms) that the expression matches, in
 * epoch ms; null when none falls within five years (e.g. `0 0 31 2 *`).
 */
export function nextCronTime(cron: Cron, after: number): number | null {
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const end = after + HORIZON_MS;
  while (d.getTime() <= end) {
    if (!cron.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(cron, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return null;
}
