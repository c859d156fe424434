import { describe, expect, it } from "vitest";
import { firesAt, parseSchedule } from "./schedule.ts";

describe("parseSchedule()", () => {
  it("parseSchedule() reads pg_cron's seconds syntax and refuses values outside 1-59", () => {
    expect(parseSchedule("1 seconds")).toEqual({ kind: "seconds", seconds: 1 });
    expect(parseSchedule(" 30 Seconds ")).toEqual({ kind: "seconds", seconds: 30 });
    expect(() => parseSchedule("0 seconds")).toThrow(RangeError);
    expect(() => parseSchedule("60 seconds")).toThrow(/1-59/);
  });

  it("parseSchedule() refuses cron expressions without exactly 5 fields or with bad values", () => {
    expect(() => parseSchedule("* * * *")).toThrow(/5 cron fields/);
    expect(() => parseSchedule("0 * * * * *")).toThrow(/5 cron fields/);
    expect(() => parseSchedule("61 * * * *")).toThrow(RangeError);
  });

  it("firesAt() matches 5-field schedules in UTC minutes", () => {
    const everyFive = parseSchedule("*/5 * * * *");
    expect(firesAt(everyFive, new Date("2026-11-29T11:05:00Z"))).toBe(true);
    expect(firesAt(everyFive, new Date("2026-11-29T11:06:00Z"))).toBe(false);
    const nightly = parseSchedule("30 3 * * 1-5");
    expect(firesAt(nightly, new Date("2026-11-30T03:30:00Z"))).toBe(true); // a Monday
    expect(firesAt(nightly, new Date("2026-11-29T03:30:00Z"))).toBe(false); // a Sunday
  });

  it("firesAt() understands @ macros and $ as the last day of the month", () => {
    expect(firesAt(parseSchedule("@hourly"), new Date("2026-11-29T11:00:00Z"))).toBe(true);
    expect(firesAt(parseSchedule("@hourly"), new Date("2026-11-29T11:01:00Z"))).toBe(false);
    const lastDay = parseSchedule("0 0 $ * *");
    expect(firesAt(lastDay, new Date("2026-11-30T00:00:00Z"))).toBe(true);
    expect(firesAt(lastDay, new Date("2026-11-29T00:00:00Z"))).toBe(false);
  });

  it("firesAt() is false for seconds and @reboot schedules (they are not minute-based)", () => {
    expect(firesAt(parseSchedule("5 seconds"), new Date("2026-11-29T11:00:00Z"))).toBe(false);
    expect(firesAt(parseSchedule("@reboot"), new Date("2026-11-29T11:00:00Z"))).toBe(false);
  });
});
