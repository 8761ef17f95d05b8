import { describe, expect, it } from "vitest";
import { CronError, nextCronTime, parseCron } from "../../src/schedule/cron";

const t = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string, tz?: string) => {
  const n = nextCronTime(parseCron(expr, tz), t(after));
  return n === null ? null : new Date(n).toISOString();
};

/** Every run in 2026 (UTC), as the distinct values of each field: what the expression expands to. */
function expansion(expr: string) {
  const cron = parseCron(expr);
  const fields = { minutes: new Set<number>(), hours: new Set<number>(), days: new Set<number>(), months: new Set<number>(), weekdays: new Set<number>() };
  for (let at = nextCronTime(cron, t("2025-12-31T23:59:59Z")); at !== null && at < t("2027-01-01T00:00:00Z"); at = nextCronTime(cron, at)) {
    const d = new Date(at);
    fields.minutes.add(d.getUTCMinutes());
    fields.hours.add(d.getUTCHours());
    fields.days.add(d.getUTCDate());
    fields.months.add(d.getUTCMonth() + 1);
    fields.weekdays.add(d.getUTCDay());
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { minutes: sorted(fields.minutes), hours: sorted(fields.hours), days: sorted(fields.days), months: sorted(fields.months), weekdays: sorted(fields.weekdays) };
}

describe("parseCron", () => {
  it("expands *, numbers, ranges, steps and lists", () => {
    const c = expansion("*/15 9-17 1,15 */3 *");
    expect(c.minutes).toEqual([0, 15, 30, 45]);
    expect(c.hours).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(c.days).toEqual([1, 15]);
    expect(c.months).toEqual([1, 4, 7, 10]);
    expect(expansion("0 0 * 1 1-5").weekdays).toEqual([1, 2, 3, 4, 5]);
  });

  it("takes a-b/n, a/n, names, and 7 as Sunday", () => {
    const c = expansion("10-30/10 5/6 * jan,JUN-aug SUN,7");
    expect(c.minutes).toEqual([10, 20, 30]);
    expect(c.hours).toEqual([5, 11, 17, 23]);
    expect(c.months).toEqual([1, 6, 7, 8]);
    expect(c.weekdays).toEqual([0]);
  });

  it.each([
    ["* * * *", /5 fields/],
    ["* * * * * *", /5 fields/],
    ["", /5 fields/],
    ["60 * * * *", /minute: 60/],
    ["* 24 * * *", /hour/],
    ["* * 0 * *", /day/],
    ["* * * 13 *", /month/],
    ["* * * * 8", /dayOfWeek/],
    ["*/0 * * * *", /stepping/],
    ["5-1 * * * *", /larger/],
    ["1,,2 * * * *", /empty/],
    ["a * * * *", /illegal characters/],
    ["1.5 * * * *", /illegal characters/],
    ["-1 * * * *", /range/],
    ["1/2/3 * * * *", /stepping/],
    // croner would fill `?` with the time of parsing, different in each isolate.
    ["? * * * *", /'\?' is not supported/],
  ])("rejects %s", (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(message);
  });

  it.each(["Mars/Olympus", "", "America/New York", "UTC+1", "../../etc/passwd"])("rejects the time zone %j", (tz) => {
    expect(() => parseCron("0 9 * * *", tz)).toThrow(CronError);
    expect(() => parseCron("0 9 * * *", tz)).toThrow(/IANA time zone/);
  });
});

describe("nextCronTime", () => {
  it("is the next matching whole minute, strictly after", () => {
    expect(next("* * * * *", "2026-03-01T10:00:00.000Z")).toBe("2026-03-01T10:01:00.000Z");
    expect(next("* * * * *", "2026-03-01T10:00:59.999Z")).toBe("2026-03-01T10:01:00.000Z");
    expect(next("*/5 * * * *", "2026-03-01T10:02:10Z")).toBe("2026-03-01T10:05:00.000Z");
    expect(next("*/5 * * * *", "2026-03-01T10:05:00Z")).toBe("2026-03-01T10:10:00.000Z");
  });

  it("rolls over hours, days, months and years", () => {
    expect(next("30 2 * * *", "2026-03-01T03:00:00Z")).toBe("2026-03-02T02:30:00.000Z");
    expect(next("0 0 1 * *", "2026-01-31T12:00:00Z")).toBe("2026-02-01T00:00:00.000Z");
    expect(next("0 0 1 1 *", "2026-06-01T00:00:00Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(next("0 12 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T12:00:00.000Z");
  });

  it("matches day-of-week (2026-03-02 is a Monday)", () => {
    expect(next("0 9 * * MON", "2026-03-02T09:00:00Z")).toBe("2026-03-09T09:00:00.000Z");
    expect(next("0 9 * * 1-5", "2026-03-06T10:00:00Z")).toBe("2026-03-09T09:00:00.000Z");
  });

  it("ORs day-of-month and day-of-week when both are restricted, as Vixie cron", () => {
    // The 15th, or any Monday: from Tue 2026-03-03 the next is Mon 2026-03-09.
    expect(next("0 0 15 * 1", "2026-03-03T00:00:00Z")).toBe("2026-03-09T00:00:00.000Z");
    // Day-of-week `*`: only the 15th.
    expect(next("0 0 15 * *", "2026-03-03T00:00:00Z")).toBe("2026-03-15T00:00:00.000Z");
  });

  it("gives null for a date that never comes", () => {
    expect(next("0 0 31 2 *", "2026-01-01T00:00:00Z")).toBeNull();
  });

  it("reads the fields in UTC without a time zone, whatever the host's zone", () => {
    expect(next("0 9 * * *", "2026-07-01T00:00:00Z")).toBe("2026-07-01T09:00:00.000Z");
    expect(next("0 9 * * *", "2026-07-01T00:00:00Z", "UTC")).toBe("2026-07-01T09:00:00.000Z");
  });

  it("reads the fields on a time zone's wall clock, daylight saving included", () => {
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    expect(next("0 9 * * *", "2026-03-01T00:00:00Z", "America/New_York")).toBe("2026-03-01T14:00:00.000Z");
    expect(next("0 9 * * *", "2026-07-01T00:00:00Z", "America/New_York")).toBe("2026-07-01T13:00:00.000Z");
    // Across the change (2026-03-08, 02:00 EST -> 03:00 EDT): the day after runs an hour earlier in UTC.
    expect(next("0 9 * * *", "2026-03-07T14:00:00Z", "America/New_York")).toBe("2026-03-08T13:00:00.000Z");
    // A zone east of UTC moves the day: Monday 00:30 in Tokyo is Sunday 15:30 UTC.
    expect(next("30 0 * * MON", "2026-03-01T00:00:00Z", "Asia/Tokyo")).toBe("2026-03-01T15:30:00.000Z");
    // A half-hour zone.
    expect(next("0 9 * * *", "2026-03-01T00:00:00Z", "Asia/Kolkata")).toBe("2026-03-01T03:30:00.000Z");
  });

  it("runs a fixed time the clock skips at the first valid time after it, and a repeated one once", () => {
    // 02:30 does not exist in New York on 2026-03-08: it runs at 03:00 EDT (07:00 UTC).
    expect(next("30 2 * * *", "2026-03-07T12:00:00Z", "America/New_York")).toBe("2026-03-08T07:00:00.000Z");
    // 01:30 happens twice on 2026-11-01 (EDT, then EST): once, then the next day.
    const first = next("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York")!;
    expect(first).toBe("2026-11-01T05:30:00.000Z");
    expect(next("30 1 * * *", first, "America/New_York")).toBe("2026-11-02T06:30:00.000Z");
  });
});
