import { CronExpressionParser, type CronExpression } from "cron-parser";

/** A pg_cron schedule, parsed: every N seconds, a 5-field cron expression, or once at start. */
export type Schedule =
  | { kind: "seconds"; seconds: number }
  | { kind: "cron"; expression: CronExpression }
  | { kind: "reboot" };

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * Parses a schedule the way pg_cron reads it: `'N seconds'` (1–59), a standard 5-field cron
 * expression evaluated in UTC (pg_cron's default `cron.timezone` is GMT; `$` in the day-of-month
 * field means the last day), or an `@` macro. Throws RangeError naming what was wrong.
 */
export function parseSchedule(text: string): Schedule {
  const value = text.trim().toLowerCase();
  const seconds = value.match(/^(\d+) seconds?$/);
  if (seconds) {
    const n = Number(seconds[1]);
    if (n < 1 || n > 59) throw new RangeError(`invalid schedule "${text}": seconds must be 1-59, got ${n}`);
    return { kind: "seconds", seconds: n };
  }
  if (value === "@reboot") return { kind: "reboot" };
  const cron = MACROS[value] ?? value;
  const fields = cron.split(/\s+/);
  if (fields.length !== 5) {
    throw new RangeError(`invalid schedule "${text}": expected 5 cron fields or 'N seconds', got ${fields.length} fields`);
  }
  if (fields[2] === "$") fields[2] = "L";
  try {
    return { kind: "cron", expression: CronExpressionParser.parse(fields.join(" "), { tz: "UTC" }) };
  } catch (error) {
    throw new RangeError(`invalid schedule "${text}": ${(error as Error).message}`);
  }
}

/** True when a cron schedule fires in the UTC minute starting at `minuteStart`. */
export function firesAt(schedule: Schedule, minuteStart: Date): boolean {
  return schedule.kind === "cron" && schedule.expression.includesDate(minuteStart);
}
