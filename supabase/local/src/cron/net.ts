import type pg from "pg";

/** A row of `net.http_request_queue`. */
interface RequestRow {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: Buffer | null;
  timeout_milliseconds: number;
}

/** How many queued requests one pass takes. */
const BATCH = 100;

/**
 * Performs pg_net requests (our SQL-only `pg_net` extension): takes committed rows from
 * `net.http_request_queue` (only committed rows are visible, so a rolled-back transaction sends
 * nothing, as with pg_net), sends them concurrently with fetch, and records each outcome in
 * `net._http_response` under the request id — status, headers, text body, or `timed_out` /
 * `error_msg`. Responses older than 6 hours are deleted (pg_net's default `pg_net.ttl`).
 */
export class NetSender {
  private passing: Promise<void> | undefined;
  private again = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Takes and starts every queued request; concurrent calls coalesce into one more pass. After
   * {@link stop} it takes nothing: queued requests wait for the next start.
   */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.passing) {
      this.again = true;
      return this.passing;
    }
    this.passing = (async () => {
      try {
        do {
          this.again = false;
          while (!this.stopped && (await this.takeBatch()) === BATCH) { /* keep taking */ }
        } while (this.again && !this.stopped);
      } catch (error) {
        this.log(`pg_net: could not read the queue: ${(error as Error).message}`);
      } finally {
        this.passing = undefined;
      }
    })();
    return this.passing;
  }

  /** Deletes responses older than pg_net's default TTL (6 hours). */
  async expire(): Promise<void> {
    if (!(await this.installed())) return;
    await this.pool.query("delete from net._http_response where created < now() - interval '6 hours'");
  }

  /** Aborts requests in flight (their responses record the error) and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.passing;
    this.aborter.abort(new Error("the local stack stopped"));
    await Promise.allSettled([...this.inFlight]);
  }

  private async installed(): Promise<boolean> {
    const { rows } = await this.pool.query<{ ok: boolean }>(
      "select to_regclass('net.http_request_queue') is not null as ok",
    );
    return rows[0]?.ok === true;
  }

  private async takeBatch(): Promise<number> {
    if (!(await this.installed())) return 0;
    const { rows } = await this.pool.query<RequestRow>(
      `delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id limit $1 for update skip locked)
       returning id::text, method, url, headers, body, timeout_milliseconds`,
      [BATCH],
    );
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    for (const row of rows) {
      const sending: Promise<void> = this.send(row).finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
    return rows.length;
  }

  private async send(row: RequestRow): Promise<void> {
    const timeout = AbortSignal.timeout(row.timeout_milliseconds);
    const signal = AbortSignal.any([timeout, this.aborter.signal]);
    const started = performance.now();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(row.headers ?? {})) {
      if (value !== null && value !== undefined) headers[name] = typeof value === "string" ? value : JSON.stringify(value);
    }
    let outcome: { status: number | null; contentType: string | null; headers: Record<string, string> | null; content: string | null; timedOut: boolean; error: string | null };
    try {
      const response = await fetch(row.url, {
        method: row.method,
        headers,
        body: row.method === "GET" || row.body === null ? undefined : new Uint8Array(row.body),
        redirect: "manual",
        signal,
      });
      const content = (await response.text()).replaceAll("\u0000", "");
      outcome = {
        status: response.status,
        contentType: response.headers.get("content-type"),
        headers: Object.fromEntries(response.headers),
        content,
        timedOut: false,
        error: null,
      };
    } catch (error) {
      const timedOut = timeout.aborted;
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      outcome = {
        status: null,
        contentType: null,
        headers: null,
        content: null,
        timedOut,
        error: timedOut
          ? `Timeout of ${row.timeout_milliseconds} ms reached. Total time: ${(performance.now() - started).toFixed(0)} ms`
          : cause ?? (error as Error).message,
      };
    }
    try {
      await this.pool.query(
        `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [row.id, outcome.status, outcome.contentType, outcome.headers, outcome.content, outcome.timedOut, outcome.error],
      );
    } catch (error) {
      this.log(`pg_net: could not record the response of request ${row.id}: ${(error as Error).message}`);
    }
  }
}
