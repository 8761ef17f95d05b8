import { describe, expect, it } from "vitest";
import { CronError, nextCronTime, parseCron } from "../../src/schedule/cron";

const t = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string) => {
  const n = nextCronTime(parseCron(expr), t(after));
  return n === null ? null : new Date(n).toISOString();
};

describe("parseCron", () => {
  it("expands *, numbers, ranges, steps and lists", () => {
    const c = parseCron("*/15 9-17 1,15 */3 1-5");
    expect([...c.minutes]).toEqual([0, 15, 30, 45]);
    expect([...c.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...c.days]).toEqual([1, 15]);
    expect([...c.months]).toEqual([1, 4, 7, 10]);
    expect([...c.weekdays]).toEqual([1, 2, 3, 4, 5]);
  });

  it("takes a-b/n, a/n, names, and 7 as Sunday", () => {
    const c = parseCron("10-30/10 5/6 * jan,JUN-aug SUN,7");
    expect([...c.minutes]).toEqual([10, 20, 30]);
    expect([...c.hours]).toEqual([5, 11, 17, 23]);
    expect([...c.months]).toEqual([1, 6, 7, 8]);
    expect([...c.weekdays]).toEqual([0]);
  });

  it.each([
    ["* * * *", /5 fields/],
    ["60 * * * *", /minute: 60 is outside 0-59/],
    ["* 24 * * *", /hour/],
    ["* * 0 * *", /day-of-month/],
    ["* * * 13 *", /month/],
    ["* * * * 8", /day-of-week/],
    ["*/0 * * * *", /step/],
    ["5-1 * * * *", /backwards/],
    ["1,,2 * * * *", /empty/],
    ["a * * * *", /not a number/],
    ["1/2/3 * * * *", /not a range or step/],
  ])("rejects %s", (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(message);
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
});
