/**
 * PostgREST's schema cache: tables, views, columns, primary keys and functions of the exposed
 * schema, read from pg_catalog. Reloaded on `NOTIFY pgrst, 'reload schema'` and lazily when a
 * request names something the cache does not know.
 */
import pg from "pg";
import { transaction } from "../db.ts";

/** A column as the REST surface needs it. */
export interface Column {
  name: string;
  /** `format_type` with an empty search_path, so user types are schema-qualified. */
  type: string;
}

/** A table, view, materialized view or foreign table. */
export interface Table {
  schema: string;
  name: string;
  columns: Map<string, Column>;
  primaryKey: string[];
}

/** An input argument of a function. */
export interface FunctionArg {
  /** Empty for unnamed arguments. */
  name: string;
  type: string;
  hasDefault: boolean;
}

/** How a function's result is shaped in the response. */
export type ReturnKind = "void" | "scalar" | "composite";

/** A function callable at `/rpc/<name>`. */
export interface RoutineInfo {
  schema: string;
  name: string;
  args: FunctionArg[];
  returnKind: ReturnKind;
  returnsSet: boolean;
  /** `v`olatile, `s`table or `i`mmutable. */
  volatility: "v" | "s" | "i";
  variadic: boolean;
}

interface TableRow {
  schema: string;
  name: string;
  columns: Column[];
  pk: string[] | null;
}

interface RoutineRow {
  schema: string;
  name: string;
  volatility: "v" | "s" | "i";
  returns_set: boolean;
  return_type: string;
  return_typtype: string;
  nargdefaults: number;
  arg_names: string[] | null;
  arg_modes: string[] | null;
  arg_types: string[];
}

const TABLES_SQL = `
select n.nspname as schema, c.relname as name,
  coalesce(
    json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
      filter (where a.attnum is not null),
    '[]') as columns,
  (select array_agg(att.attname::text order by k.ord)
     from pg_index i
     cross join unnest(i.indkey) with ordinality k(attnum, ord)
     join pg_attribute att on att.attrelid = i.indrelid and att.attnum = k.attnum
    where i.indrelid = c.oid and i.indisprimary) as pk
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'f', 'p')
group by n.nspname, c.oid`;

const ROUTINES_SQL = `
select n.nspname as schema, p.proname as name, p.provolatile as volatility, p.proretset as returns_set,
  format_type(p.prorettype, null) as return_type, t.typtype as return_typtype,
  p.pronargdefaults as nargdefaults,
  p.proargnames::text[] as arg_names,
  p.proargmodes::text[] as arg_modes,
  array(select format_type(x, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(x, ord) order by ord) as arg_types
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type t on t.oid = p.prorettype
where n.nspname = any($1::text[]) and p.prokind = 'f'`;

/** Turns a pg_proc row into the callable shape: input args only, defaults on the last N. */
export function toRoutine(row: RoutineRow): RoutineInfo {
  const modes = row.arg_modes ?? row.arg_types.map(() => "i");
  const names = row.arg_names ?? [];
  const inputs: { name: string; type: string }[] = [];
  let variadic = false;
  row.arg_types.forEach((type, i) => {
    const mode = modes[i] ?? "i";
    if (mode === "v") variadic = true;
    if (mode === "i" || mode === "b" || mode === "v") inputs.push({ name: names[i] ?? "", type });
  });
  const firstDefault = inputs.length - row.nargdefaults;
  const args = inputs.map((a, i) => ({ ...a, hasDefault: i >= firstDefault }));
  let returnKind: ReturnKind = "scalar";
  if (row.return_type === "void") returnKind = "void";
  // OUT/TABLE parameters make the return type `record`; both shapes answer with objects.
  else if (row.return_typtype === "c" || row.return_type === "record") returnKind = "composite";
  return {
    schema: row.schema,
    name: row.name,
    args,
    returnKind,
    returnsSet: row.returns_set,
    volatility: row.volatility,
    variadic,
  };
}

/** The cache of one or more exposed schemas (we expose `public` only). */
export class SchemaCache {
  private tables = new Map<string, Table>();
  private routines = new Map<string, RoutineInfo[]>();
  private loading: Promise<void> | undefined;
  private listener: pg.Client | undefined;
  private stopped = false;
  /** Incremented on every completed load; lets a request tell whether a reload happened. */
  generation = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly schemas: string[] = ["public"],
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The table or view `schema.name`, if cached. */
  table(schema: string, name: string): Table | undefined {
    return this.tables.get(`${schema}.${name}`);
  }

  /** Every overload of `schema.name`. */
  functions(schema: string, name: string): RoutineInfo[] {
    return this.routines.get(`${schema}.${name}`) ?? [];
  }

  /** Table and view names of `schema`, for the OpenAPI root. */
  tableNames(schema: string): string[] {
    return [...this.tables.values()].filter((t) => t.schema === schema).map((t) => t.name).sort();
  }

  /** Reloads from pg_catalog; concurrent calls share one load. */
  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const { tables, routines } = await transaction(
      this.pool,
      async (client) => {
        // An empty search_path makes format_type qualify every non-pg_catalog type.
        await client.query("set local search_path = ''");
        return {
          tables: await client.query<TableRow>(TABLES_SQL, [this.schemas]),
          routines: await client.query<RoutineRow>(ROUTINES_SQL, [this.schemas]),
        };
      },
      { readOnly: true },
    );
    const nextTables = new Map<string, Table>();
    for (const row of tables.rows) {
      nextTables.set(`${row.schema}.${row.name}`, {
        schema: row.schema,
        name: row.name,
        columns: new Map(row.columns.map((c) => [c.name, c])),
        primaryKey: row.pk ?? [],
      });
    }
    const nextRoutines = new Map<string, RoutineInfo[]>();
    for (const row of routines.rows) {
      const routine = toRoutine(row);
      const key = `${routine.schema}.${routine.name}`;
      nextRoutines.set(key, [...(nextRoutines.get(key) ?? []), routine]);
    }
    this.tables = nextTables;
    this.routines = nextRoutines;
    this.generation++;
  }

  /** Loads once and listens on channel `pgrst` for `reload schema` on a dedicated connection. */
  async start(connectionString: string): Promise<void> {
    await this.reload();
    await this.listen(connectionString);
  }

  private async listen(connectionString: string): Promise<void> {
    const client = new pg.Client({ connectionString, application_name: "engram-local-rest-listener" });
    client.on("notification", (msg) => {
      const payload = (msg.payload ?? "").trim();
      if (payload === "" || payload === "reload schema") {
        this.reload().catch((error: Error) => this.log(`rest: schema reload failed: ${error.message}`));
      }
    });
    client.on("error", (error) => {
      if (this.stopped) return;
      this.log(`rest: schema listener lost (${error.message}); reloads now happen lazily`);
    });
    await client.connect();
    await client.query("listen pgrst");
    this.listener = client;
  }

  /** Closes the listener connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.listener?.end().catch(() => {});
    this.listener = undefined;
  }
}
