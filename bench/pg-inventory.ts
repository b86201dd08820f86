// What moving the domain onto PostgreSQL touches, counted from the source with
// the TypeScript type checker (db/POSTGRES.md cites its output):
// - every query call site (`.all() .get() .run() .values() .execute()` whose
//   method is drizzle's), by layer and file;
// - every raw `sql` template, and the SQLite-only constructs in it;
// - what leans on SQLite's synchronous, single-writer execution: `immediate`,
//   `transaction` (savepoints), `$client`, `lastInsertRowid`/`changes`, and the
//   functions that read and then write in one command.
// `npx tsx bench/pg-inventory.ts` prints a summary; `--files` adds the per-file table.
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
const DIRS = ['src', 'handlers', 'db'];
const QUERY_METHODS = new Set(['all', 'get', 'run', 'values', 'execute']);
const READS = new Set(['select', 'selectDistinct', 'query', 'findFirst', 'findMany']);
const WRITES = new Set(['insert', 'update', 'delete']);

/** SQLite-only (or SQLite-behaving) constructs in a raw `sql` template, and what PostgreSQL needs instead. */
const NOT_PORTABLE: [RegExp, string][] = [
  [/\bstrftime\s*\(/i, 'strftime → to_char/extract'],
  [/\bjulianday\s*\(/i, 'julianday → epoch arithmetic'],
  [/\bunixepoch\s*\(/i, 'unixepoch → extract(epoch from now())'],
  [/\b(?:datetime|date|time)\s*\(/i, 'date()/datetime() → to_timestamp/::date'],
  [/\bifnull\s*\(/i, 'ifnull → coalesce'],
  [/\biif\s*\(/i, 'iif → case'],
  [/\bgroup_concat\s*\(/i, 'group_concat → string_agg'],
  [/\bjson_(?:extract|each|array_length|group_array|object|insert|set)\s*\(|->>|\bjson\s*\(/i, 'json functions → jsonb operators'],
  [/\binstr\s*\(/i, 'instr → strpos'],
  [/\bsubstr\s*\(/i, 'substr (PostgreSQL has it; check negative starts)'],
  [/\bglob\b/i, 'glob → ~ (regex)'],
  [/\blike\b/i, 'LIKE is case-insensitive for ASCII in SQLite, case-sensitive in PostgreSQL (ILIKE/lower())'],
  [/\bcollate\s+nocase\b/i, 'collate nocase → lower() or citext'],
  [/\b(?:max|min)\s*\([^()]*,[^()]*\)/i, 'scalar max(a,b)/min(a,b) → greatest/least'],
  [/\btotal\s*\(/i, 'total() → coalesce(sum(),0)'],
  [/\browid\b/i, 'rowid'],
  [/\binsert\s+or\b/i, 'insert or … → on conflict'],
  [/\bprintf\s*\(|\bformat\s*\(/i, 'printf → format/to_char'],
  [/\bcast\s*\([^)]*\bas\s+(?:integer|real)\b/i, 'cast as integer truncates in SQLite, rounds in PostgreSQL; integer/integer divides as integers in both'],
  [/\bpragma\b/i, 'pragma'],
];

function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return parts[0] ?? path;
}

const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const checker = program.getTypeChecker();

interface FileCount {
  path: string;
  layer: string;
  queries: number;
  byMethod: Record<string, number>;
  rawSql: number;
  nonPortable: string[];
  sync: string[];
  readThenWrite: string[];
}

/** True when the called method is declared in drizzle-orm (so `Map.get` and the like never count). */
function isDrizzleMethod(call: ts.CallExpression): boolean {
  const sym = checker.getSymbolAtLocation(call.expression);
  return (sym?.declarations ?? []).some((d) => d.getSourceFile().fileName.includes(`${sep}drizzle-orm${sep}`) || d.getSourceFile().fileName.includes('/drizzle-orm/'));
}

function enclosingFunctionName(node: ts.Node): string {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) && n.name) return n.name.text;
    if (ts.isMethodDeclaration(n) && ts.isIdentifier(n.name)) return n.name.text;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
  }
  return '(top level)';
}

const counts: FileCount[] = [];
for (const sf of program.getSourceFiles()) {
  const path = relative(ROOT, sf.fileName).split(sep).join('/');
  if (!DIRS.some((d) => path.startsWith(`${d}/`)) || path.startsWith('db/migrations')) continue;
  const c: FileCount = { path, layer: layerOf(path), queries: 0, byMethod: {}, rawSql: 0, nonPortable: [], sync: [], readThenWrite: [] };
  /** Per top-level function: does it read, does it write (directly, by query builder). */
  const fnUse = new Map<string, { read: boolean; write: boolean }>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const name = n.expression.name.text;
      if (QUERY_METHODS.has(name) && isDrizzleMethod(n)) {
        c.queries++;
        c.byMethod[name] = (c.byMethod[name] ?? 0) + 1;
      }
      if ((READS.has(name) || WRITES.has(name)) && isDrizzleMethod(n)) {
        const fn = enclosingFunctionName(n);
        const use = fnUse.get(fn) ?? { read: false, write: false };
        if (READS.has(name)) use.read = true;
        else use.write = true;
        fnUse.set(fn, use);
      }
      if (name === 'transaction' && isDrizzleMethod(n)) c.sync.push(`transaction() (savepoint) in ${enclosingFunctionName(n)}`);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'immediate') c.sync.push(`immediate() in ${enclosingFunctionName(n)}`);
    if (ts.isPropertyAccessExpression(n) && ['lastInsertRowid', 'changes', '$client'].includes(n.name.text)) c.sync.push(`${n.name.text} in ${enclosingFunctionName(n)}`);
    if (ts.isTaggedTemplateExpression(n) && ts.isIdentifier(n.tag) && n.tag.text === 'sql') {
      c.rawSql++;
      const text = ts.isNoSubstitutionTemplateLiteral(n.template)
        ? n.template.text
        : [n.template.head.text, ...n.template.templateSpans.map((s) => s.literal.text)].join('$' + '{}');
      for (const [re, what] of NOT_PORTABLE) if (re.test(text)) c.nonPortable.push(`${what}: ${text.replace(/\s+/g, ' ').slice(0, 90)}`);
    }
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'raw' &&
      ts.isIdentifier(n.expression.expression) &&
      n.expression.expression.text === 'sql'
    ) {
      c.rawSql++;
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) for (const [re, what] of NOT_PORTABLE) if (re.test(arg.text)) c.nonPortable.push(`${what}: sql.raw(${arg.text.slice(0, 80)})`);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && ['like', 'notLike'].includes(n.expression.text)) c.nonPortable.push(`drizzle like(): case rules differ`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const [fn, use] of fnUse) if (use.read && use.write) c.readThenWrite.push(fn);
  if (c.queries || c.rawSql || c.sync.length || c.readThenWrite.length) counts.push(c);
}

const sum = (xs: FileCount[], f: (c: FileCount) => number) => xs.reduce((a, c) => a + f(c), 0);
const layers = [...new Set(counts.map((c) => c.layer))].sort();
console.log('layer            files  query calls  raw sql  not portable  sync-reliant  read-then-write fns');
for (const l of layers) {
  const xs = counts.filter((c) => c.layer === l);
  console.log(
    `${l.padEnd(16)} ${String(xs.filter((c) => c.queries).length).padStart(5)}  ${String(sum(xs, (c) => c.queries)).padStart(11)}  ${String(sum(xs, (c) => c.rawSql)).padStart(7)}  ${String(sum(xs, (c) => c.nonPortable.length)).padStart(12)}  ${String(sum(xs, (c) => c.sync.length)).padStart(12)}  ${String(sum(xs, (c) => c.readThenWrite.length)).padStart(19)}`,
  );
}
const methods: Record<string, number> = {};
for (const c of counts) for (const [m, n] of Object.entries(c.byMethod)) methods[m] = (methods[m] ?? 0) + n;
console.log(
  `total: ${sum(counts, (c) => c.queries)} query calls in ${counts.filter((c) => c.queries).length} files (${JSON.stringify(methods)}), ${sum(counts, (c) => c.rawSql)} raw sql fragments`,
);
console.log('\nnot portable as written:');
for (const c of counts) for (const p of c.nonPortable) console.log(`  ${c.path}: ${p}`);
console.log('\nrelies on SQLite/synchronous execution:');
for (const c of counts) for (const s of c.sync) console.log(`  ${c.path}: ${s}`);
console.log('\nfunctions that read and write in one command (check each under READ COMMITTED):');
for (const c of counts) if (c.readThenWrite.length) console.log(`  ${c.path}: ${c.readThenWrite.join(', ')}`);
if (process.argv.includes('--files')) {
  console.log('\nper file: query calls (by method), raw sql');
  for (const c of counts.sort((a, b) => b.queries - a.queries))
    console.log(`  ${c.path.padEnd(40)} ${String(c.queries).padStart(4)} ${JSON.stringify(c.byMethod)} raw=${c.rawSql}`);
}
