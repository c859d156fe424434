import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import type pg from "pg";
import { convertCell } from "./values.ts";

/** One row change decoded from the WAL, with typed cells, ready to be matched and authorized. */
export interface Change {
  type: "INSERT" | "UPDATE" | "DELETE";
  schema: string;
  table: string;
  /** `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, from the transaction's commit time. */
  commitTimestamp: string;
  columns: { name: string; type: string }[];
  /** Column name → `pg_type.typname`. */
  types: Record<string, string>;
  /** The new row (INSERT/UPDATE), else null. */
  record: Record<string, unknown> | null;
  /**
   * The old row as replica identity gives it (UPDATE/DELETE): all columns under REPLICA IDENTITY
   * FULL, else the key columns (for an UPDATE whose key did not change, taken from the new row).
   */
  oldRecord: Record<string, unknown> | null;
  /** Primary-key columns (empty when the table has none). */
  primaryKey: string[];
  /** Whether row level security is enabled on the table. */
  rlsEnabled: boolean;
  /** `performance.now()` when the change was decoded (benchmarks). */
  decodedAt: number;
  /** The 32-bit id of the transaction that made the change. */
  xid: number;
}

interface RelationInfo {
  schema: string;
  table: string;
  columns: { name: string; type: string }[];
  types: Record<string, string>;
  keyColumns: string[];
  replicaIdentity: Pgoutput.MessageRelation["replicaIdentity"];
  primaryKey: string[];
  rlsEnabled: boolean;
}

/** Options of {@link WalReader}. */
export interface WalReaderOptions {
  /** Superuser connection string (the replication connection and catalog look-ups). */
  connectionString: string;
  /** Pool for catalog look-ups. */
  pool: pg.Pool;
  publication?: string;
  onChange: (change: Change) => void;
  log: (line: string) => void;
}

/**
 * pgoutput over a *temporary* logical slot created on the replication connection itself, so it
 * disappears with the connection (a stopped or crashed stack leaves no slot holding WAL).
 */
class TemporarySlotPlugin extends PgoutputPlugin {
  override async start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    await client.query(`CREATE_REPLICATION_SLOT "${slotName}" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')`);
    return super.start(client, slotName, lastLsn);
  }
}

function utcMillis(microsSinceEpoch: bigint): string {
  return new Date(Number(microsSinceEpoch / 1000n)).toISOString();
}

function typedRow(raw: Record<string, unknown> | null, info: RelationInfo, only?: string[]): Record<string, unknown> | null {
  if (!raw) return null;
  const row: Record<string, unknown> = {};
  for (const { name, type } of info.columns) {
    if (only && !only.includes(name)) continue;
    const value = raw[name];
    if (value === undefined) continue; // unchanged TOAST value or a non-key column of a key tuple
    row[name] = convertCell(type, value as string | null);
  }
  return row;
}

/**
 * Reads row changes of the tables in publication `supabase_realtime` from the WAL (logical
 * replication, pgoutput) and hands them on in commit order. Cells arrive as text and are typed
 * by `pg_type.typname` from the catalog.
 */
export class WalReader {
  private service: LogicalReplicationService | undefined;
  private relations = new Map<number, Promise<RelationInfo>>();
  private queue: Promise<void> = Promise.resolve();
  private commitTime = 0n;
  private xid = 0;
  private stopping = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: WalReaderOptions) {}

  /** Creates the slot and starts streaming; resolves once Postgres streams to us. */
  async start(): Promise<void> {
    this.stopping = false;
    const service = new LogicalReplicationService(
      { connectionString: this.options.connectionString, application_name: "engram-realtime" },
      { acknowledge: { auto: true, timeoutSeconds: 10 } },
    );
    this.service = service;
    service.on("data", (_lsn: string, message: Pgoutput.Message) => this.receive(message));
    const slot = `engram_realtime_${process.pid}_${Date.now().toString(36)}`;
    const plugin = new TemporarySlotPlugin({ protoVersion: 1, publicationNames: [this.options.publication ?? "supabase_realtime"] });
    await new Promise<void>((resolve, reject) => {
      service.once("start", () => resolve());
      service.subscribe(plugin, slot).then(
        () => this.lost(service, new Error("replication stream ended")),
        (error: unknown) => {
          reject(error as Error);
          this.lost(service, error as Error);
        },
      );
    });
  }

  /** Stops streaming; the temporary slot goes with the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retry);
    const service = this.service;
    this.service = undefined;
    await service?.destroy().catch(() => {});
    await this.queue;
  }

  private lost(service: LogicalReplicationService, error: Error): void {
    if (this.stopping || this.service !== service) return;
    this.options.log(`realtime: WAL stream lost (${error.message}); reconnecting in 1 s`);
    this.service = undefined;
    void service.destroy().catch(() => {});
    this.retry = setTimeout(() => {
      this.start().catch((e: unknown) => this.options.log(`realtime: WAL reconnect failed: ${(e as Error).message}`));
    }, 1000);
  }

  private receive(message: Pgoutput.Message): void {
    switch (message.tag) {
      case "begin":
        this.commitTime = message.commitTime as bigint;
        this.xid = message.xid >>> 0;
        return;
      case "relation": {
        // Keep cells as text: we type them by typname ourselves (pg's parsers would make Dates).
        for (const column of message.columns) column.parser = (raw: unknown) => raw;
        this.relations.set(message.relationOid, this.describe(message));
        return;
      }
      case "insert":
      case "update":
      case "delete": {
        const commitTime = this.commitTime;
        const xid = this.xid;
        const decodedAt = performance.now();
        const pending = this.relations.get(message.relation.relationOid) ?? this.describe(message.relation);
        this.queue = this.queue.then(async () => {
          try {
            const info = await pending;
            this.options.onChange({ ...this.toChange(message, info, commitTime, decodedAt), xid });
          } catch (error) {
            this.options.log(`realtime: dropped a change of ${message.relation.schema}.${message.relation.name}: ${(error as Error).message}`);
          }
        });
        return;
      }
      default:
        return;
    }
  }

  private toChange(
    message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete,
    info: RelationInfo,
    commitTime: bigint,
    decodedAt: number,
  ): Omit<Change, "xid"> {
    const base = {
      schema: info.schema,
      table: info.table,
      commitTimestamp: utcMillis(commitTime),
      columns: info.columns,
      types: info.types,
      primaryKey: info.primaryKey,
      rlsEnabled: info.rlsEnabled,
      decodedAt,
    };
    const full = info.replicaIdentity === "full";
    if (message.tag === "insert") {
      return { ...base, type: "INSERT", record: typedRow(message.new, info), oldRecord: null };
    }
    if (message.tag === "update") {
      const record = typedRow(message.new, info);
      const oldRecord = message.old
        ? typedRow(message.old, info)
        : typedRow(message.key ?? message.new, info, full ? undefined : info.keyColumns);
      return { ...base, type: "UPDATE", record, oldRecord };
    }
    const oldRecord = typedRow(message.old ?? message.key, info, full ? undefined : info.keyColumns);
    return { ...base, type: "DELETE", record: null, oldRecord };
  }

  private async describe(relation: Pgoutput.MessageRelation): Promise<RelationInfo> {
    const { rows } = await this.options.pool.query<{ oid: number; typname: string }>(
      "select oid::int as oid, typname from pg_type where oid = any($1::oid[])",
      [relation.columns.map((c) => c.typeOid)],
    );
    const typeNames = new Map(rows.map((r) => [r.oid, r.typname]));
    const meta = await this.options.pool.query<{ rls: boolean; pk: string[] | null }>(
      `select c.relrowsecurity as rls,
              (select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum))
                 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = c.oid and i.indisprimary) as pk
         from pg_class c where c.oid = $1`,
      [relation.relationOid],
    );
    const columns = relation.columns.map((c) => ({ name: c.name, type: typeNames.get(c.typeOid) ?? c.typeName ?? "text" }));
    return {
      schema: relation.schema,
      table: relation.name,
      columns,
      types: Object.fromEntries(columns.map((c) => [c.name, c.type])),
      keyColumns: relation.keyColumns,
      replicaIdentity: relation.replicaIdentity,
      primaryKey: meta.rows[0]?.pk ?? [],
      rlsEnabled: meta.rows[0]?.rls ?? false,
    };
  }
}
