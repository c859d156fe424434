import type pg from "pg";
import { transaction as sharedTransaction } from "../db.ts";

/** Anything that runs a query: the pool or one checked-out client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

/**
 * Runs `fn` in one transaction on its own client (GoTrue's `db.Transaction`): commits when it
 * resolves, rolls back when it throws. Throwing {@link CommitWithError} instead persists the work
 * and still fails, like GoTrue's `storage.NewCommitWithError` (used to revoke a reused refresh
 * token's session).
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let failure: Error | undefined;
  const result = await sharedTransaction(pool, async (client) => {
    try {
      return await fn(client);
    } catch (error) {
      if (!(error instanceof CommitWithError)) throw error;
      failure = error.error;
      return undefined;
    }
  });
  if (failure) throw failure;
  return result as T;
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
