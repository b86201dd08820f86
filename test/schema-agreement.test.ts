// db/schema.ts (SQLite) and db/schema.pg.ts (PostgreSQL) hold the same tables, column for column: each side
// read through drizzle's public getTableConfig into one plain shape (names, the kind of value a column holds,
// nullability, default, primary key, generated ids, foreign keys, indexes, unique constraints), and the two
// shapes must be equal. The comparison itself is checked first, on small tables made up here.
import { is, SQL, sql, type Table } from 'drizzle-orm';
import * as pgCore from 'drizzle-orm/pg-core';
import * as sqliteCore from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../db/schema.pg.js';
import * as sqliteSchema from '../db/schema.js';

type Dialect = 'sqlite' | 'pg';

/** The kinds of value a column holds, the same in both engines (db/schema.pg.ts says which type holds which). */
function kindOf(dialect: Dialect, c: sqliteCore.SQLiteColumn | pgCore.PgColumn): string {
  const type = `${dialect}:${c.columnType}:${c.getSQLType()}`;
  const mode = dialect === 'sqlite' && c.columnType === 'SQLiteTimestamp' ? `:${(c as sqliteCore.SQLiteTimestamp<never>).mode}` : '';
  const KINDS: Record<string, string> = {
    'sqlite:SQLiteInteger:integer': 'int64',
    'pg:PgBigInt53:bigint': 'int64',
    'sqlite:SQLiteTimestamp:integer:timestamp_ms': 'epoch-ms',
    'pg:PgCustomColumn:bigint': 'epoch-ms', // db/schema.pg.ts's epochMs
    // Flags and JSON are stored as SQLite stores them (0/1, the JSON text): the domain's sqlite-core queries
    // run on both engines (db/POSTGRES.md).
    'sqlite:SQLiteBoolean:integer': 'flag 0/1',
    'pg:PgInteger:integer': 'flag 0/1',
    'sqlite:SQLiteText:text': 'text',
    'pg:PgText:text': 'text',
    'pg:PgCustomColumn:text COLLATE "C"': 'text', // db/schema.pg.ts's textC: sorted as SQLite sorts
    'sqlite:SQLiteTextJson:text': 'json text',
    'pg:PgCustomColumn:text': 'json text', // db/schema.pg.ts's jsonText
    'sqlite:SQLiteReal:real': 'float64',
    'pg:PgDoublePrecision:double precision': 'float64',
  };
  return KINDS[type + mode] ?? `unmapped ${type}${mode}`;
}

/** SQL defaults that mean the same thing in both engines, by their text in each. */
const SAME_SQL: Record<string, string> = {
  "sqlite:(unixepoch('subsec') * 1000)": 'now in epoch ms',
  'pg:(floor(extract(epoch from statement_timestamp()) * 1000))::bigint': 'now in epoch ms',
};

const dialects = { sqlite: new sqliteCore.SQLiteSyncDialect(), pg: new pgCore.PgDialect() };

/** A column's default as the engine stores it (SQLite's `true` is 1, its `[]` the text '[]'), or its SQL. */
function defaultOf(dialect: Dialect, c: { hasDefault: boolean; default: unknown; mapToDriverValue(v: unknown): unknown }): unknown {
  if (!c.hasDefault || c.default === undefined) return undefined;
  if (is(c.default, SQL)) {
    const text = `${dialect}:${dialects[dialect].sqlToQuery(c.default).sql}`;
    return SAME_SQL[text] ?? `sql ${text}`;
  }
  return c.mapToDriverValue(c.default);
}

interface TableShape {
  name: string;
  columns: Record<string, { kind: string; enum?: string[]; notNull: boolean; default?: unknown; primary: boolean; generatedId: boolean; unique: boolean }>;
  primaryKeys: string[][];
  foreignKeys: { columns: string[]; table: string; foreignColumns: string[]; onDelete: string; onUpdate: string }[];
  indexes: Record<string, { columns: string[]; unique: boolean; where: boolean }>;
  uniqueConstraints: string[][];
}

const colName = (c: unknown) => (is(c, SQL) ? `(expression)` : (c as { name: string }).name);

/** One table of either dialect, as a plain shape the other dialect's table must equal. */
function shapeOf(dialect: Dialect, table: Table): TableShape {
  const config = dialect === 'sqlite' ? sqliteCore.getTableConfig(table as sqliteCore.SQLiteTable) : pgCore.getTableConfig(table as pgCore.PgTable);
  const columns: TableShape['columns'] = {};
  for (const c of config.columns as (sqliteCore.SQLiteColumn | pgCore.PgColumn)[]) {
    const generatedId = dialect === 'sqlite' ? Boolean((c as { autoIncrement?: boolean }).autoIncrement) : c.generatedIdentity !== undefined;
    columns[c.name] = {
      kind: kindOf(dialect, c),
      ...(c.enumValues ? { enum: [...c.enumValues] } : {}),
      notNull: c.notNull,
      // A generated id's "default" is the engine's own numbering, compared as generatedId.
      ...(generatedId ? {} : { default: defaultOf(dialect, c) }),
      primary: c.primary,
      generatedId,
      unique: c.isUnique,
    };
  }
  return {
    name: config.name,
    columns,
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map(colName)),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return {
          columns: ref.columns.map(colName),
          table: (dialect === 'sqlite' ? sqliteCore.getTableConfig(ref.foreignTable as sqliteCore.SQLiteTable) : pgCore.getTableConfig(ref.foreignTable as pgCore.PgTable)).name,
          foreignColumns: ref.foreignColumns.map(colName),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [i.config.name, { columns: (i.config.columns as unknown[]).map(colName), unique: Boolean(i.config.unique), where: i.config.where !== undefined }]),
    ),
    uniqueConstraints: config.uniqueConstraints.map((u) => u.columns.map(colName)).sort(),
  };
}

/** Every table a schema module exports, by name. */
function tablesOf(dialect: Dialect, mod: Record<string, unknown>): Map<string, TableShape> {
  const base = dialect === 'sqlite' ? sqliteCore.SQLiteTable : pgCore.PgTable;
  const shapes = Object.values(mod)
    .filter((v) => is(v, base))
    .map((t) => shapeOf(dialect, t as Table));
  return new Map(shapes.map((s) => [s.name, s]));
}

/** Where two schemas differ, one line per difference; none when they agree. */
function differences(a: Map<string, TableShape>, b: Map<string, TableShape>): string[] {
  const out: string[] = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    if (!x || !y) {
      out.push(`${name}: only in ${x ? 'sqlite' : 'pg'}`);
      continue;
    }
    for (const col of new Set([...Object.keys(x.columns), ...Object.keys(y.columns)])) {
      const cx = x.columns[col];
      const cy = y.columns[col];
      if (!cx || !cy) out.push(`${name}.${col}: only in ${cx ? 'sqlite' : 'pg'}`);
      else
        for (const key of new Set([...Object.keys(cx), ...Object.keys(cy)]) as Set<keyof typeof cx>) {
          if (JSON.stringify(cx[key]) !== JSON.stringify(cy[key])) out.push(`${name}.${col} ${key}: sqlite ${JSON.stringify(cx[key])}, pg ${JSON.stringify(cy[key])}`);
        }
    }
    for (const key of ['primaryKeys', 'foreignKeys', 'uniqueConstraints'] as const) {
      if (JSON.stringify(x[key]) !== JSON.stringify(y[key])) out.push(`${name} ${key}: sqlite ${JSON.stringify(x[key])}, pg ${JSON.stringify(y[key])}`);
    }
    for (const idx of new Set([...Object.keys(x.indexes), ...Object.keys(y.indexes)])) {
      const ix = x.indexes[idx];
      const iy = y.indexes[idx];
      if (JSON.stringify(ix) !== JSON.stringify(iy)) out.push(`${name} index ${idx}: sqlite ${JSON.stringify(ix) ?? 'none'}, pg ${JSON.stringify(iy) ?? 'none'}`);
    }
  }
  return out;
}

describe('the comparison itself, on made-up tables', () => {
  const s = sqliteCore;
  const p = pgCore;
  const sParent = s.sqliteTable('parent', { id: s.integer('id').primaryKey({ autoIncrement: true }) });
  const pParent = p.pgTable('parent', { id: p.bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity() });
  const sChild = s.sqliteTable(
    'child',
    {
      parentId: s
        .integer('parent_id')
        .notNull()
        .references(() => sParent.id, { onDelete: 'cascade' }),
      key: s.text('key').notNull(),
      at: s.integer('at', { mode: 'timestamp_ms' }),
      on: s.integer('on', { mode: 'boolean' }).notNull().default(true),
      doc: s.text('doc', { mode: 'json' }).notNull().default([]),
    },
    (t) => [s.uniqueIndex('child_key').on(t.parentId, t.key)],
  );
  const pChild = (o: {
    unique?: boolean;
    onDelete?: 'cascade' | 'set null';
    keyNull?: boolean;
    atType?: 'epoch' | 'timestamptz';
    onDefault?: boolean;
    onBoolean?: boolean;
    docDefault?: string;
    extra?: boolean;
  }) =>
    p.pgTable(
      'child',
      {
        parentId: p
          .bigint('parent_id', { mode: 'number' })
          .notNull()
          .references(() => pParent.id, { onDelete: o.onDelete ?? 'cascade' }),
        key: o.keyNull ? p.text('key') : p.text('key').notNull(),
        at: o.atType === 'timestamptz' ? p.timestamp('at', { withTimezone: true }) : pgSchema.epochMs('at'),
        on: o.onBoolean
          ? p.boolean('on').notNull().default(true)
          : p
              .integer('on')
              .notNull()
              .default(o.onDefault === false ? 0 : 1),
        doc: pgSchema
          .jsonText('doc')
          .notNull()
          .default(o.docDefault ?? '[]'),
        ...(o.extra ? { extra: p.text('extra') } : {}),
      },
      (t) => [(o.unique === false ? p.index('child_key') : p.uniqueIndex('child_key')).on(t.parentId, t.key)],
    );
  const sqlite = (child = sChild) => tablesOf('sqlite', { sParent, child });
  const pg = (o: Parameters<typeof pChild>[0] = {}) => tablesOf('pg', { pParent, child: pChild(o) });

  it('finds no difference between tables that agree', () => {
    expect(differences(sqlite(), pg())).toEqual([]);
  });

  it('names each kind of drift', () => {
    expect(differences(sqlite(), pg({ unique: false }))).toEqual([
      'child index child_key: sqlite {"columns":["parent_id","key"],"unique":true,"where":false}, pg {"columns":["parent_id","key"],"unique":false,"where":false}',
    ]);
    expect(differences(sqlite(), pg({ onDelete: 'set null' }))).toEqual([expect.stringMatching(/^child foreignKeys: .*"onDelete":"cascade".*"onDelete":"set null"/)]);
    expect(differences(sqlite(), pg({ keyNull: true }))).toEqual(['child.key notNull: sqlite true, pg false']);
    expect(differences(sqlite(), pg({ atType: 'timestamptz' }))).toEqual(['child.at kind: sqlite "epoch-ms", pg "unmapped pg:PgTimestamp:timestamp with time zone"']);
    expect(differences(sqlite(), pg({ onDefault: false }))).toEqual(['child.on default: sqlite 1, pg 0']);
    // A flag is 0/1 in both (db/POSTGRES.md): a PostgreSQL boolean is drift.
    expect(differences(sqlite(), pg({ onBoolean: true }))).toEqual(['child.on kind: sqlite "flag 0/1", pg "unmapped pg:PgBoolean:boolean"', 'child.on default: sqlite 1, pg true']);
    expect(differences(sqlite(), pg({ docDefault: '{}' }))).toEqual(['child.doc default: sqlite "[]", pg "{}"']);
    expect(differences(sqlite(), pg({ extra: true }))).toEqual(['child.extra: only in pg']);
    expect(differences(sqlite(), tablesOf('pg', { pParent }))).toEqual(['child: only in sqlite']);
  });

  it('tells apart the same default written in SQL from another', () => {
    const sNow = s.sqliteTable('t', { at: s.integer('at', { mode: 'timestamp_ms' }).default(sqliteSchema.tenants.createdAt.default as SQL) });
    const pNow = p.pgTable('t', { at: pgSchema.epochMs('at').default(pgSchema.NOW_MS) });
    const pSql = p.pgTable('t', { at: pgSchema.epochMs('at').default(sql`0`) });
    expect(differences(tablesOf('sqlite', { sNow }), tablesOf('pg', { pNow }))).toEqual([]);
    expect(differences(tablesOf('sqlite', { sNow }), tablesOf('pg', { pSql }))).toEqual(['t.at default: sqlite "now in epoch ms", pg "sql pg:0"']);
  });
});

describe('db/schema.ts and db/schema.pg.ts', () => {
  const sqlite = tablesOf('sqlite', sqliteSchema);
  const pg = tablesOf('pg', pgSchema);

  it('agree column for column: kinds, nullability, defaults, keys, foreign keys, indexes and unique keys', () => {
    expect(sqlite.size).toBeGreaterThan(20);
    expect(differences(sqlite, pg)).toEqual([]);
  });

  it('hold every dedupe key as a unique index on both', () => {
    const uniques = (m: Map<string, TableShape>, table: string) =>
      Object.values(m.get(table)!.indexes)
        .filter((i) => i.unique)
        .map((i) => i.columns);
    for (const m of [sqlite, pg]) {
      expect(uniques(m, 'nudges')).toContainEqual(['tenant_id', 'dedupe_key']);
      expect(uniques(m, 'inbound_events')).toContainEqual(['platform', 'event_id']);
      expect(m.get('seen_requests')!.columns.key!.primary).toBe(true);
    }
  });
});
