/**
 * The one reading of an ISO-8601 date-time on the wire (an `eta`, an `expires`, a results
 * query's `since`). `Date.parse` alone takes far more than ISO-8601: `"1"` is the year 2001,
 * `"Tue, 01 Dec 2026 12:00:00 GMT"` is RFC 2822, `"2026-02-30"` is 2 March; an `expires: "2"`
 * meant as two seconds ended its task REVOKED at once. Pure.
 */

/**
 * `YYYY-MM-DD` (or a six-digit year with its sign, as `toISOString` writes years past 9999),
 * then optionally `T` (or a space, as Python's `str(datetime)` writes) and `hh:mm`, `:ss`, a
 * fraction of any length (`.` or `,`), and an offset (`Z`, `±hh`, `±hhmm`, `±hh:mm`).
 */
const ISO_DATE_TIME = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** The largest instant a JavaScript Date holds, either side of 1970 (ms). */
const DATE_RANGE_MS = 8.64e15;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Minutes east of UTC of an offset (`Z`, `±hh`, `±hhmm`, `±hh:mm`; none is UTC), or null when out of range. */
function offsetMinutes(offset: string | undefined): number | null {
  if (offset === undefined || offset === "Z" || offset === "z") return 0;
  const digits = offset.slice(1).replace(":", "");
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (h > 23 || m > 59) return null;
  return (offset[0] === "-" ? -1 : 1) * (h * 60 + m);
}

/**
 * Epoch ms of an ISO-8601 calendar date-time, or null when `text` is not one (another format, a
 * day or time of day that does not exist, past the range of a Date). A date alone is midnight
 * UTC; a time without an offset is UTC (Celery's default timezone, and workerd's clock).
 */
export function isoEpochMs(text: string): number | null {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", offset] = m;
  if (y === "-000000") return null;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const east = offsetMinutes(offset);
  if (east === null) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, "0")));
  const ms = date.getTime() - east * 60_000;
  return Number.isFinite(ms) && Math.abs(ms) <= DATE_RANGE_MS ? ms : null;
}
