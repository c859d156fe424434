import type pg from "pg";
import { matchingIds } from "./channel.ts";
import type { ChannelRegistry, LiveChannel } from "./connection.ts";
import { rowVisibility, type CheckIdentity, type Visibility } from "./rls.ts";
import type { Change } from "./wal.ts";

/** Called once per delivered event with the decode→send time (benchmarks, logging). */
export type DeliveryProbe = (change: Change, deliveries: number) => void;

/**
 * Routes WAL changes to joined channels: binding match (event, schema, table, filter), then for
 * INSERT/UPDATE one RLS check per distinct (role, claims) among the candidates (DELETE is not
 * RLS-checked; on RLS tables its old record is cut to the primary key). Checks for successive
 * changes run concurrently, deliveries stay in commit order.
 */
export class Dispatcher implements ChannelRegistry {
  private readonly channels = new Set<LiveChannel>();
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: (line: string) => void,
    private readonly probe?: DeliveryProbe,
  ) {}

  add(channel: LiveChannel): void {
    this.channels.add(channel);
  }

  delete(channel: LiveChannel): void {
    this.channels.delete(channel);
  }

  /** Number of joined channels (tests, diagnostics). */
  get size(): number {
    return this.channels.size;
  }

  /** Queues one change for delivery. */
  dispatch(change: Change): void {
    const candidates: { channel: LiveChannel; ids: number[] }[] = [];
    for (const channel of this.channels) {
      const ids = matchingIds(channel.bindings, change);
      if (ids.length > 0) candidates.push({ channel, ids });
    }
    if (candidates.length === 0) return;
    const prepared = this.authorize(change, candidates).catch((error: unknown) => {
      this.log(`realtime: RLS check failed for ${change.schema}.${change.table}: ${(error as Error).message}`);
      return [] as { channel: LiveChannel; ids: number[]; visibility: Visibility }[];
    });
    this.delivery = this.delivery.then(async () => {
      const ready = await prepared;
      let sent = 0;
      for (const { channel, ids, visibility } of ready) {
        if (visibility === "hidden" || !this.channels.has(channel)) continue;
        channel.push("postgres_changes", { ids, data: payload(change, visibility) });
        sent++;
      }
      this.probe?.(change, sent);
    });
  }

  /** Waits until every queued change has been delivered. */
  async drain(): Promise<void> {
    await this.delivery;
  }

  private async authorize(
    change: Change,
    candidates: { channel: LiveChannel; ids: number[] }[],
  ): Promise<{ channel: LiveChannel; ids: number[]; visibility: Visibility }[]> {
    if (change.type === "DELETE" || change.primaryKey.length === 0) {
      return candidates.map((c) => ({ ...c, visibility: "visible" as const }));
    }
    // One check per distinct (role, claims): subscribers with identical claims share it.
    const groups = new Map<string, number>();
    const identities: CheckIdentity[] = [];
    const groupOf = candidates.map(({ channel }) => {
      const { role, claims } = channel.subscriber;
      const key = `${role}\u0000${JSON.stringify(claims)}`;
      let index = groups.get(key);
      if (index === undefined) {
        index = identities.push({ role, claims }) - 1;
        groups.set(key, index);
      }
      return index;
    });
    let visibility: Visibility[];
    try {
      visibility = await rowVisibility(this.pool, change, identities, (error) =>
        this.log(`realtime: batched RLS check on ${change.schema}.${change.table} failed, checking one by one: ${error.message}`),
      );
    } catch (error) {
      // Fail closed: a check that errs delivers nothing.
      this.log(`realtime: RLS check on ${change.schema}.${change.table} failed: ${(error as Error).message}`);
      visibility = identities.map(() => "hidden");
    }
    return candidates.map((c, i) => ({ ...c, visibility: visibility[groupOf[i]!]! }));
  }
}

function pick(row: Record<string, unknown> | null, columns: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) if (row && column in row) out[column] = row[column];
  return out;
}

/** The `data` of a postgres_changes event, as Realtime's apply_rls shapes it. */
function payload(change: Change, visibility: Visibility): Record<string, unknown> {
  const errors: string[] = [];
  if (change.primaryKey.length === 0 && change.type !== "DELETE") errors.push("Error 400: Bad Request, no primary keys");
  if (visibility === "unauthorized") errors.push("Error 401: Unauthorized");
  const data: Record<string, unknown> = {
    schema: change.schema,
    table: change.table,
    commit_timestamp: change.commitTimestamp,
    type: change.type,
    columns: change.columns,
  };
  const withhold = errors.length > 0;
  if (change.type !== "DELETE") data.record = withhold ? {} : (change.record ?? {});
  if (change.type !== "INSERT") {
    const old =
      change.type === "DELETE" && change.rlsEnabled ? pick(change.oldRecord, change.primaryKey) : (change.oldRecord ?? {});
    data.old_record = withhold ? {} : old;
  }
  data.errors = errors.length > 0 ? errors : null;
  return data;
}
