import type pg from "pg";

/** Anything that runs a query: the pool or one checked-out client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

/**
 * Runs `fn` in one transaction on its own client (GoTrue's `db.Transaction`): commits when it
 * resolves, rolls back when it throws. `commitOnError` lets a caller persist work and still fail,
 * like GoTrue's `storage.NewCommitWithError` (used to revoke a reused refresh token's session).
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    try {
      const result = await fn(client);
      await client.query("commit");
      return result;
    } catch (error) {
      if (error instanceof CommitWithError) {
        await client.query("commit");
        throw error.error;
      }
      await client.query("rollback").catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

/** Thrown inside {@link transaction} to commit what was done and then fail with `error`. */
export class CommitWithError extends Error {
  constructor(readonly error: Error) {
    super(error.message);
    this.name = "CommitWithError";
  }
}

/** The SQLSTATE of a pg error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
