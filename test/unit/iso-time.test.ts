// Unit tests of src/protocol/iso-time.ts: the one reading of an ISO-8601 date-time on the wire.
import { describe, expect, it } from "vitest";
import { isoEpochMs } from "../../src/protocol/index.js";

const utc = (iso: string) => new Date(iso).getTime();

describe("isoEpochMs", () => {
  it("reads the forms Celery, Python and JavaScript write", () => {
    expect(isoEpochMs("2026-12-01T12:00:00Z")).toBe(utc("2026-12-01T12:00:00.000Z"));
    expect(isoEpochMs("2026-12-01T12:00:00.123456+00:00")).toBe(utc("2026-12-01T12:00:00.123Z"));
    expect(isoEpochMs("2026-12-01 12:00:00")).toBe(utc("2026-12-01T12:00:00.000Z"));
    expect(isoEpochMs("2026-12-01T12:00")).toBe(utc("2026-12-01T12:00:00.000Z"));
    expect(isoEpochMs("2026-12-01")).toBe(utc("2026-12-01T00:00:00.000Z"));
    expect(isoEpochMs("2026-12-01T12:00:00,5Z")).toBe(utc("2026-12-01T12:00:00.500Z"));
    expect(isoEpochMs("+275760-09-13T00:00:00.000Z")).toBe(8.64e15);
    expect(isoEpochMs("-000001-01-01T00:00:00Z")).toBe(utc("-000001-01-01T00:00:00.000Z"));
    expect(isoEpochMs("0050-06-01T00:00:00Z")).toBe(utc("0050-06-01T00:00:00.000Z"));
    expect(isoEpochMs("2024-02-29T00:00:00Z")).toBe(utc("2024-02-29T00:00:00.000Z"));
  });

  it("applies the offset in every written form; no offset is UTC", () => {
    const noon = utc("2026-12-01T12:00:00Z");
    expect(isoEpochMs("2026-12-01T14:00:00+02:00")).toBe(noon);
    expect(isoEpochMs("2026-12-01T14:00:00+0200")).toBe(noon);
    expect(isoEpochMs("2026-12-01T14:00:00+02")).toBe(noon);
    expect(isoEpochMs("2026-12-01T06:30:00-05:30")).toBe(noon);
    expect(isoEpochMs("2026-12-01T12:00:00")).toBe(noon);
  });

  it("refuses what Date.parse takes but ISO-8601 is not", () => {
    for (const text of ["1", "2", "2026", "Tue, 01 Dec 2026 12:00:00 GMT", "December 1, 2026", "12/01/2026", "2026-12-01T12:00:00 GMT", " 2026-12-01", "2026-12-01T12:00:00Z ", "2026-12-1", "20261201T120000Z", "2026-W48"]) {
      expect(isoEpochMs(text), text).toBeNull();
    }
  });

  it("refuses days and times that do not exist, and instants no Date holds", () => {
    for (const text of ["2026-02-29", "2026-02-30T00:00:00Z", "2026-04-31", "2026-13-01", "2026-00-10", "2026-12-00", "2026-12-01T24:00:00Z", "2026-12-01T12:60:00Z", "2026-12-01T12:00:60Z", "2026-12-01T12:00:00+24:00", "2026-12-01T12:00:00+02:60", "-000000-01-01T00:00:00Z", "+275760-09-13T00:00:00.001Z", "-271821-04-19T23:59:59Z"]) {
      expect(isoEpochMs(text), text).toBeNull();
    }
  });
});
