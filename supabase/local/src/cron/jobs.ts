import pg from "pg";
import { dbUrl, type StackConfig } from "../config.ts";
import { firesAt, parseSchedule, type Schedule } from "./schedule.ts";

/** A row of `cron.job` that the runner needs. */
interface JobRow {
  jobid: string;
  schedule: string;
  command: string;
  database: string;
  username: string;
}

/**
 * Runs pg_cron jobs (our SQL-only `pg_cron` extension): once a second it reads the active rows
 * of `cron.job`, starts those that are due — every N seconds for `'N seconds'`, at each matching
 * UTC minute for 5-field schedules, once at start for `@reboot` — and records each run in
 * `cron.job_run_details` (starting → running → succeeded | failed). A job never overlaps itself.
 * Each run gets its own connection to the job's database, as the job's user, like pg_cron's
 * libpq mode; the command is sent as one simple query (several statements allowed).
 */
export class CronRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly lastStart = new Map<string, number>();
  private readonly badSchedules = new Set<string>();
  private lastMinute: number;
  private rebooted = false;

  constructor(
    private readonly cfg: StackConfig,
    private readonly pool: pg.Pool,
    private readonly log: (line: string) => void,
  ) {
    this.lastMinute = Math.floor(Date.now() / 60_000);
  }

  /** Evaluates every active job once, at time `now` (ms); starts the due ones. */
  async tick(now: number): Promise<void> {
    const installed = await this.pool.query<{ ok: boolean }>(
      "select to_regclass('cron.job') is not null as ok",
    );
    if (!installed.rows[0]?.ok) return;
    const { rows } = await this.pool.query<JobRow>(
      "select jobid::text, schedule, command, database, username from cron.job where active order by jobid",
    );
    const minute = Math.floor(now / 60_000);
    const newMinute = minute > this.lastMinute;
    this.lastMinute = minute;
    const firstTick = !this.rebooted;
    this.rebooted = true;
    const live = new Set<string>();
    for (const job of rows) {
      live.add(job.jobid);
      let schedule: Schedule;
      try {
        schedule = parseSchedule(job.schedule);
      } catch (error) {
        const key = `${job.jobid}:${job.schedule}`;
        if (!this.badSchedules.has(key)) this.log(`cron: job ${job.jobid} skipped: ${(error as Error).message}`);
        this.badSchedules.add(key);
        continue;
      }
      let due = false;
      if (schedule.kind === "seconds") {
        const last = this.lastStart.get(job.jobid);
        // A little slack so a 1 s job does not skip a tick because the timer fired early.
        due = last === undefined || now - last >= schedule.seconds * 1000 - 100;
      } else if (schedule.kind === "cron") {
        due = newMinute && firesAt(schedule, new Date(minute * 60_000));
      } else {
        due = firstTick;
      }
      if (due && !this.running.has(job.jobid)) this.start(job, now);
    }
    for (const id of this.lastStart.keys()) if (!live.has(id)) this.lastStart.delete(id);
  }

  /** Resolves once the runs in progress have finished. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private start(job: JobRow, now: number): void {
    this.lastStart.set(job.jobid, now);
    const run = this.run(job)
      .catch((error: unknown) => this.log(`cron: job ${job.jobid} could not be recorded: ${(error as Error).message}`))
      .finally(() => this.running.delete(job.jobid));
    this.running.set(job.jobid, run);
  }

  private async run(job: JobRow): Promise<void> {
    const inserted = await this.pool.query<{ runid: string }>(
      `insert into cron.job_run_details (jobid, database, username, command, status, start_time)
       values ($1, $2, $3, $4, 'starting', now()) returning runid::text`,
      [job.jobid, job.database, job.username, job.command],
    );
    const runid = inserted.rows[0]!.runid;
    const url = new URL(dbUrl(this.cfg));
    url.pathname = `/${encodeURIComponent(job.database)}`;
    const client = new pg.Client({ connectionString: url.href, application_name: "pg_cron" });
    client.on("error", () => {});
    let status: "succeeded" | "failed" = "failed";
    let message = "";
    try {
      await client.connect();
      if (job.username !== decodeURIComponent(url.username)) {
        await client.query(`set session authorization ${pg.escapeIdentifier(job.username)}`);
      }
      const pid = (client as unknown as { processID?: number }).processID ?? null;
      await this.pool.query(
        "update cron.job_run_details set status = 'running', job_pid = $2 where runid = $1",
        [runid, pid],
      );
      const result = (await client.query(job.command)) as pg.QueryResult | pg.QueryResult[];
      message = commandTag(Array.isArray(result) ? result[result.length - 1] : result);
      status = "succeeded";
    } catch (error) {
      message = (error as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
    await this.pool.query(
      "update cron.job_run_details set status = $2, return_message = $3, end_time = now() where runid = $1",
      [runid, status, message],
    );
  }
}

/** The command tag libpq would report (`INSERT 0 1`, `SELECT 1`, `DO`), which pg_cron records. */
function commandTag(result: pg.QueryResult | undefined): string {
  if (!result?.command) return "";
  if (result.rowCount === null || result.rowCount === undefined) return result.command;
  if (result.command === "INSERT") return `INSERT 0 ${result.rowCount}`;
  return `${result.command} ${result.rowCount}`;
}
