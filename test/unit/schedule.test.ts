import { describe, expect, it } from "vitest";
import { defineSchedule, firstRunAt, nextRunAt, rescheduledAt, scheduleSpec } from "../../src/schedule/schedule";
import { App } from "../../src/app/app";

const t = (iso: string) => Date.parse(iso);
const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
const sig = { task: "demo.noop" };

describe("schedule run times", () => {
  it("a cron schedule first runs at its first match from the start of the current minute", () => {
    const d = defineSchedule("five", { cron: "*/5 * * * *" }, sig);
    expect(iso(firstRunAt(d, t("2026-03-01T10:05:00.300Z")))).toBe("2026-03-01T10:05:00.000Z");
    expect(iso(firstRunAt(d, t("2026-03-01T10:06:00.300Z")))).toBe("2026-03-01T10:10:00.000Z");
    expect(iso(nextRunAt(d, t("2026-03-01T10:05:00Z"), t("2026-03-01T10:05:00.300Z")))).toBe("2026-03-01T10:10:00.000Z");
  });

  it("a cron schedule with a time zone runs on that zone's wall clock", () => {
    const d = defineSchedule("nine", { cron: "0 9 * * *", tz: "America/New_York" }, sig);
    expect(d.cron?.tz).toBe("America/New_York");
    expect(iso(firstRunAt(d, t("2026-03-01T10:00:00.300Z")))).toBe("2026-03-01T14:00:00.000Z");
    // Ran at 09:00 EST on Saturday; Sunday 09:00 is EDT, after the clock change.
    expect(iso(nextRunAt(d, t("2026-03-07T14:00:00Z"), t("2026-03-07T14:00:00.300Z")))).toBe("2026-03-08T13:00:00.000Z");
  });

  it("an interval schedule runs one interval after it is known, and skips missed slots", () => {
    const d = defineSchedule("ten", { every: 10 }, sig);
    expect(firstRunAt(d, 1_000_000)).toBe(1_010_000);
    expect(nextRunAt(d, 1_010_000, 1_010_050)).toBe(1_020_000);
    expect(nextRunAt(d, 1_010_000, 1_100_000)).toBe(1_110_000);
  });

  it("rejects an interval past 10 years (its run time is no date: GET /v1/schedules answered 500 for every: 1e13)", () => {
    expect(() => defineSchedule("x", { every: 1e13 }, sig)).toThrow(/at most 315360000 seconds/);
    expect(defineSchedule("x", { every: 315_360_000 }, sig).every).toBe(315_360_000);
  });

  it("a spec names what decides the run times; an edited schedule runs by its new definition from its last run", () => {
    const hourly = defineSchedule("x", { every: 3600 }, sig);
    const nine = defineSchedule("x", { cron: "0 9 * * *", tz: "Asia/Kolkata" }, sig);
    expect(scheduleSpec(hourly)).toBe("every 3600");
    expect(scheduleSpec(nine)).toBe("cron 0 9 * * * Asia/Kolkata");
    expect(scheduleSpec(defineSchedule("x", { cron: "0 9 * * *" }, sig))).toBe("cron 0 9 * * * UTC");
    const last = Date.parse("2026-12-01T10:00:00Z");
    const now = Date.parse("2026-12-01T10:30:00Z");
    expect(rescheduledAt(hourly, last, now)).toBe(Date.parse("2026-12-01T11:00:00Z"));
    // A slot already past (a day edited to a minute) runs at the next tick.
    expect(rescheduledAt(defineSchedule("x", { cron: "* * * * *" }, sig), last, now)).toBe(Date.parse("2026-12-01T10:01:00Z"));
    expect(rescheduledAt(nine, last, now)).toBe(Date.parse("2026-12-02T03:30:00Z"));
    // Never ran: as a new schedule.
    expect(rescheduledAt(hourly, null, now)).toBe(firstRunAt(hourly, now));
  });

  it("rejects a bad name, both or neither of cron and every, a short interval, a bad cron", () => {
    expect(() => defineSchedule("bad name", { every: 5 }, sig)).toThrow(/schedule name/);
    expect(() => defineSchedule("x", { every: 5, cron: "* * * * *" } as never, sig)).toThrow(/exactly one/);
    expect(() => defineSchedule("x", {} as never, sig)).toThrow(/exactly one/);
    expect(() => defineSchedule("x", { every: 0.5 }, sig)).toThrow(/at least 1 second/);
    expect(() => defineSchedule("x", { cron: "* * *" }, sig)).toThrow(/5 fields/);
    expect(() => defineSchedule("x", { cron: "0 0 31 2 *" }, sig)).toThrow(/never matches/);
  });

  it("rejects a bad time zone, and a time zone on an interval schedule", () => {
    expect(() => defineSchedule("x", { cron: "0 9 * * *", tz: "Europe/Atlantis" }, sig)).toThrow(/IANA time zone/);
    expect(() => defineSchedule("x", { cron: "0 9 * * *", tz: 5 } as never, sig)).toThrow(/tz is a time zone name/);
    expect(() => defineSchedule("x", { every: 60, tz: "Europe/Paris" } as never, sig)).toThrow(/tz is a time zone name/);
  });
});

describe("App.schedule", () => {
  it("registers schedules by name, checks the signature, refuses a name twice", () => {
    const app = new App({ name: "t" });
    expect(app.schedules()).toEqual([]);
    app.schedule("b", { every: 30 }, { task: "demo.noop" }).schedule("a", { cron: "0 * * * *" }, { task: "demo.add", args: [1, 2] });
    expect(app.schedules().map((s) => [s.name, s.every, s.cron?.source ?? null])).toEqual([
      ["a", null, "0 * * * *"],
      ["b", 30, null],
    ]);
    expect(() => app.schedule("a", { every: 5 }, { task: "demo.noop" })).toThrow(/twice/);
    expect(() => app.schedule("d", { cron: "0 9 * * *", tz: "Nowhere/Town" }, { task: "demo.noop" })).toThrow(/IANA time zone/);
    expect(() => app.schedule("c", { every: 5 }, { task: "demo.noop", options: { priority: 42 } })).toThrow(/priority/);
  });
});
