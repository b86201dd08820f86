// Architecture boundaries, checked on the source tree itself:
// only the Slack and Lark adapters import their SDKs, only src/config.ts reads the environment,
// each layer imports only the layers below it (DESIGN.md's data flow), and no file imports itself
// through others (no import cycles).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIRS = ['src', 'handlers', 'prompts', 'db'];
const CODE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

function walk(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(full).isDirectory() ? walk(full) : CODE.test(name) ? [full] : [];
  });
}

/** Source files as repo-relative paths with forward slashes, and their text. */
const files = DIRS.flatMap((d) => walk(join(ROOT, d))).map((f) => ({
  path: relative(ROOT, f).split(sep).join('/'),
  text: readFileSync(f, 'utf8'),
}));

/** Parses a file with the TypeScript compiler, so comments and strings never count. */
function parse(text: string): ts.SourceFile {
  return ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function visit(node: ts.Node, found: (n: ts.Node) => boolean): boolean {
  return found(node) || (ts.forEachChild(node, (child) => (visit(child, found) ? true : undefined)) ?? false);
}

const SDK = /^(?:@slack\/|@larksuiteoapi\/)/;

/** Every module specifier the file imports, re-exports, dynamically imports or requires. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  visit(parse(text), (n) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      out.push(n.moduleReference.expression.text);
    }
    if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    }
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) out.push(n.argument.literal.text);
    return false;
  });
  return out;
}

function importsSdk(text: string): boolean {
  return specifiers(text).some((s) => SDK.test(s));
}

/** `process`, or `globalThis.process`. */
function isProcess(e: ts.Expression): boolean {
  if (ts.isIdentifier(e)) return e.text === 'process';
  return ts.isPropertyAccessExpression(e) && e.name.text === 'process' && ts.isIdentifier(e.expression) && e.expression.text === 'globalThis';
}

function readsEnv(text: string): boolean {
  return visit(parse(text), (n) => {
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'env' && isProcess(n.expression)) return true;
    if (ts.isElementAccessExpression(n) && isProcess(n.expression) && ts.isStringLiteralLike(n.argumentExpression) && n.argumentExpression.text === 'env') return true;
    // const { env } = process
    if (ts.isVariableDeclaration(n) && n.initializer && isProcess(n.initializer) && ts.isObjectBindingPattern(n.name)) {
      return n.name.elements.some((el) => (el.propertyName ?? el.name).getText() === 'env');
    }
    // import { env } from 'node:process'
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && /^(?:node:)?process$/.test(n.moduleSpecifier.text)) {
      const named = n.importClause?.namedBindings;
      return named !== undefined && ts.isNamedImports(named) && named.elements.some((el) => (el.propertyName ?? el.name).text === 'env');
    }
    return false;
  });
}

describe('source boundaries', () => {
  it('finds the source tree', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toContain('src/config.ts');
    expect(paths).toContain('handlers/touch.ts');
    expect(paths).toContain('db/schema.ts');
    expect(paths.some((p) => p.startsWith('prompts/'))).toBe(true);
  });

  it('the detectors recognise the forms they look for', () => {
    expect(importsSdk(`import { App } from '@slack/bolt';`)).toBe(true);
    expect(importsSdk(`import type { WebClient } from "@slack/web-api";`)).toBe(true);
    expect(importsSdk(`const lark = await import('@larksuiteoapi/node-sdk');`)).toBe(true);
    expect(importsSdk(`import '@larksuiteoapi/node-sdk';`)).toBe(true);
    expect(importsSdk(`// not here: import { App } from '@slack/bolt'`)).toBe(false);
    expect(importsSdk(`const s = 'see @slack/bolt docs';`)).toBe(false);
    expect(readsEnv('const port = process.env.PORT;')).toBe(true);
    expect(readsEnv(`const e = process['env'];`)).toBe(true);
    expect(readsEnv('const { env } = process;')).toBe(true);
    expect(readsEnv(`import { env } from 'node:process';`)).toBe(true);
    expect(readsEnv('const t = globalThis.process.env.TZ;')).toBe(true);
    expect(readsEnv(`const s = 'process.env is read in config.ts';`)).toBe(false);
    expect(importsSdk(`export { App } from '@slack/bolt';`)).toBe(true);
    expect(importsSdk(`type C = import('@slack/web-api').WebClient;`)).toBe(true);
    expect(importsSdk(`const x = require('@larksuiteoapi/node-sdk');`)).toBe(true);
    expect(readsEnv('// never read process.env here')).toBe(false);
    expect(readsEnv('process.exit(1);')).toBe(false);
    // The real config module is seen reading the environment, so the scan below is not vacuous.
    expect(readsEnv(files.find((f) => f.path === 'src/config.ts')!.text)).toBe(true);
  });

  it('only src/chat/slack/ and src/chat/lark/ import the Slack and Lark SDKs', () => {
    const offenders = files
      .filter((f) => !f.path.startsWith('src/chat/slack/') && !f.path.startsWith('src/chat/lark/'))
      .filter((f) => importsSdk(f.text))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('adapters (src/chat/) go through the engine: they import no handler and touch no database (db/schema.ts is only vocabulary)', () => {
    const touches = (spec: string, from: string) => {
      const to = spec.startsWith('.') ? join(from, '..', spec).split(sep).join('/') : spec;
      return /(?:^|\/)handlers\//.test(to) || (/(?:^|\/)db\//.test(to) && !/(?:^|\/)db\/schema\.js$/.test(to)) || /^(?:drizzle-orm|better-sqlite3|pg)(?:\/|$)/.test(to);
    };
    expect(touches('../../../handlers/home.js', 'src/chat/slack/app.ts')).toBe(true);
    expect(touches('../../../db/index.js', 'src/chat/slack/app.ts')).toBe(true);
    expect(touches('../../../db/schema.js', 'src/chat/slack/app.ts')).toBe(false);
    expect(touches('drizzle-orm', 'src/chat/slack/app.ts')).toBe(true);
    const offenders = files
      .filter((f) => f.path.startsWith('src/chat/'))
      .flatMap((f) =>
        specifiers(f.text)
          .filter((s) => touches(s, f.path))
          .map((s) => `${f.path} -> ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the engine (src/engine/) imports no adapter: what is platform-neutral (forms, the inbound service) lives there, not in src/chat/', () => {
    const resolved = (spec: string, from: string) => (spec.startsWith('.') ? join(from, '..', spec).split(sep).join('/') : spec);
    expect(resolved('../chat/forms.js', 'src/engine/inbound.ts')).toBe('src/chat/forms.js');
    const offenders = files
      .filter((f) => f.path.startsWith('src/engine/'))
      .flatMap((f) =>
        specifiers(f.text)
          .filter((s) => resolved(s, f.path).startsWith('src/chat/'))
          .map((s) => `${f.path} -> ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  it('each platform folder of src/chat/ imports no other platform folder', () => {
    const platformOf = (path: string) => /^src\/chat\/([^/]+)\//.exec(path)?.[1];
    const offenders = files
      .filter((f) => platformOf(f.path))
      .flatMap((f) =>
        specifiers(f.text)
          .filter((s) => s.startsWith('.'))
          .map((s) => join(f.path, '..', s).split(sep).join('/'))
          .filter((to) => platformOf(to) && platformOf(to) !== platformOf(f.path))
          .map((to) => `${f.path} -> ${to}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the Slack and Lark adapters run commands only through the inbound service (src/engine/inbound.ts): no engine.handle or engine.trial of their own', () => {
    const runsCommands = (text: string) =>
      visit(
        parse(text),
        (n) =>
          ts.isCallExpression(n) &&
          ts.isPropertyAccessExpression(n.expression) &&
          ['handle', 'trial'].includes(n.expression.name.text) &&
          /(?:^|\.)engine$/.test(n.expression.expression.getText()),
      );
    expect(runsCommands('const out = await opts.engine.handle(incoming);')).toBe(true);
    expect(runsCommands('const out = await inbound.run(incoming);')).toBe(false);
    const adapters = files.filter((f) => f.path.startsWith('src/chat/slack/') || f.path.startsWith('src/chat/lark/'));
    expect(adapters.some((f) => /engine\/inbound\.js/.test(f.text))).toBe(true);
    expect(adapters.filter((f) => runsCommands(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('only src/config.ts reads process.env', () => {
    const offenders = files.filter((f) => f.path !== 'src/config.ts' && readsEnv(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Layers. Every file of src/, handlers/, prompts/ and db/ is in one; each imports (type-only
// imports and re-exports count: they are the same dependency to a reader) only what its layer may.

type Layer = 'db' | 'prompts' | 'domain' | 'views' | 'engine' | 'handlers' | 'scheduler' | 'chat' | 'io' | 'root';

/**
 * Composition roots: the processes' entries and what only they read (configuration, the logger).
 * They wire the layers together and may import anything.
 */
const ROOTS = new Set([
  'src/main.ts',
  'src/demo.ts',
  'src/config.ts',
  'src/log.ts',
  // The engine thread's entry: hands the command registry to the engine's thread loop.
  'src/engine-thread.ts',
  // The process's metrics registry and /metrics server, built by main.ts from the engine's and the scheduler's counts.
  'src/metrics.ts',
  // The CSV tool's entry (npm run steward), where it is today and where it moves (src/io/cli.ts).
  'src/cli.ts',
  'src/io/cli.ts',
]);

/** The CSV tool's files not yet in src/io/ (helper `services` moves them there). */
const IO_FILES = new Set(['src/book-io.ts', 'src/csv-text.ts']);

function layerOf(path: string): Layer | undefined {
  if (ROOTS.has(path)) return 'root';
  if (IO_FILES.has(path)) return 'io';
  const top = /^(db|prompts|handlers)\//.exec(path)?.[1];
  if (top) return top as Layer;
  return (/^src\/(domain|views|engine|scheduler|chat|io)\//.exec(path)?.[1] as Layer | undefined) ?? undefined;
}

/** A layer, or one file of another layer (a model or a port the layer may know without knowing the rest). */
type Allowed = Layer | `${string}.ts`;

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Exclude<Layer, 'root'>, readonly Allowed[]> = {
  db: [],
  // The catalogs sit below everything: the schema's types (Locale, enums) and nothing else.
  prompts: ['db/schema.ts'],
  // The rules and the services that change state, and the words of their refusals.
  domain: ['db', 'prompts'],
  // Reply data built from domain data.
  views: ['domain', 'db', 'prompts', 'src/engine/reply.ts'],
  engine: ['domain', 'views', 'db', 'prompts'],
  handlers: ['engine', 'domain', 'views', 'db', 'prompts'],
  // When to run, never what the rules are; delivery through the chat port.
  scheduler: ['domain', 'views', 'db', 'prompts', 'src/engine/reply.ts', 'src/chat/port.ts'],
  // Parse, verify, render: the engine's inbound service and Reply model; the schema only as vocabulary.
  // src/domain/text.ts: how a name is keyed (normalize), a pure function the shell keys users by.
  chat: ['engine', 'prompts', 'db/schema.ts', 'src/config.ts', 'src/log.ts', 'src/domain/text.ts'],
  io: ['domain', 'views', 'db', 'prompts'],
};

/** The repo path a relative specifier names (`../x.js` is the TypeScript file `x.ts` when there is one). */
function resolveSpec(spec: string, from: string, exists: (path: string) => boolean = (p) => existsSync(join(ROOT, p))): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const to = posix.normalize(posix.join(posix.dirname(from), spec));
  const ts = to.replace(/\.([mc]?)js$/, '.$1ts');
  if (ts !== to && exists(ts)) return ts;
  if (exists(to)) return to;
  for (const tail of ['.ts', '/index.ts']) if (exists(to + tail)) return to + tail;
  return to;
}

/** The project files each file imports (every form `specifiers` sees, type-only ones included). */
type Graph = Map<string, string[]>;

function graphOf(sources: { path: string; text: string }[], exists?: (path: string) => boolean): Graph {
  return new Map(sources.map((f) => [f.path, [...new Set(specifiers(f.text).flatMap((s) => resolveSpec(s, f.path, exists) ?? []))]]));
}

/** Every import that crosses a layer the wrong way, as `from -> to`; a file in no layer is one too (place it). */
function crossings(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) {
    const a = layerOf(from);
    if (!a) {
      out.push(`${from} is in no layer (add it to layerOf)`);
      continue;
    }
    if (a === 'root') continue;
    for (const to of tos) {
      const b = layerOf(to);
      if (b === a) continue;
      if (b === 'root' && !MAY_IMPORT[a].includes(to as Allowed)) out.push(`${from} -> ${to}`);
      else if (b !== 'root' && !MAY_IMPORT[a].some((x) => x === b || x === to)) out.push(`${from} -> ${to}`);
    }
  }
  return out.sort();
}

/** Each import cycle, as the files around it (`a -> b -> a`): one per strongly connected group of files (Tarjan). */
function cycles(graph: Graph): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  // Print one real path around each group: from its first file, back to it, through the group only.
  return groups.map((group) => {
    const inGroup = new Set(group);
    const start = [...group].sort()[0]!;
    const path = [start];
    const seen = new Set([start]);
    const walk = (v: string): boolean => {
      for (const w of graph.get(v) ?? []) {
        if (w === start) return true;
        if (!inGroup.has(w) || seen.has(w)) continue;
        seen.add(w);
        path.push(w);
        if (walk(w)) return true;
        path.pop();
      }
      return false;
    };
    walk(start);
    return [...path, start].join(' -> ');
  });
}

describe('layers', () => {
  const graph = graphOf(files);

  it('the checker sees a crossing, a type-only import, an unplaced file and a cycle, and passes what is allowed', () => {
    const fake = (entries: Record<string, string>) =>
      graphOf(
        Object.entries(entries).map(([path, text]) => ({ path, text })),
        (p) => p in entries || /^(?:src|db|prompts|handlers)\/.+\.ts$/.test(p),
      );
    // Type-only imports and re-exports are imports.
    expect(crossings(fake({ 'src/domain/x.ts': `import type { Ctx } from '../engine/spec.js';` }))).toEqual(['src/domain/x.ts -> src/engine/spec.ts']);
    expect(crossings(fake({ 'src/domain/x.ts': `export { reply } from '../engine/reply.js';` }))).toEqual(['src/domain/x.ts -> src/engine/reply.ts']);
    expect(crossings(fake({ 'src/domain/x.ts': `type R = import('../engine/reply.js').Reply;` }))).toEqual(['src/domain/x.ts -> src/engine/reply.ts']);
    // The engine importing a handler, an adapter a handler or the database, a scheduler a handler.
    expect(crossings(fake({ 'src/engine/inbound.ts': `import { homeReply } from '../../handlers/home.js';` }))).toEqual(['src/engine/inbound.ts -> handlers/home.ts']);
    expect(crossings(fake({ 'src/chat/slack/app.ts': `import { x } from '../../../db/index.js';` }))).toEqual(['src/chat/slack/app.ts -> db/index.ts']);
    expect(crossings(fake({ 'src/scheduler/outbox.ts': `import { currentChannelCard } from '../../handlers/complaint.js';` }))).toEqual([
      'src/scheduler/outbox.ts -> handlers/complaint.ts',
    ]);
    expect(crossings(fake({ 'handlers/x.ts': `import { deliverDue } from '../src/scheduler/outbox.js';` }))).toEqual(['handlers/x.ts -> src/scheduler/outbox.ts']);
    // The catalogs import nothing above them; a view knows the Reply model, not the engine's command context.
    expect(crossings(fake({ 'prompts/en.ts': `import { quote } from '../src/engine/tokenize.js';` }))).toEqual(['prompts/en.ts -> src/engine/tokenize.ts']);
    expect(crossings(fake({ 'src/views/x.ts': `import type { Ctx } from '../engine/spec.js';` }))).toEqual(['src/views/x.ts -> src/engine/spec.ts']);
    // A layer may not import a composition root it is not given.
    expect(crossings(fake({ 'src/domain/x.ts': `import { loadConfig } from '../config.js';` }))).toEqual(['src/domain/x.ts -> src/config.ts']);
    // A file outside every layer is reported, so a new folder is placed on purpose.
    expect(crossings(fake({ 'src/stray.ts': `export const x = 1;` }))).toEqual(['src/stray.ts is in no layer (add it to layerOf)']);
    // What is allowed passes: downward imports, the Reply model from a view, the chat port from the scheduler, roots.
    expect(
      crossings(
        fake({
          'src/views/x.ts': `import { reply } from '../engine/reply.js'; import { viewFor } from '../domain/view.js'; import type { Locale } from '../../db/schema.js';`,
          'src/scheduler/x.ts': `import type { ChatPort } from '../chat/port.js'; import { homeReply } from '../views/home.js';`,
          'src/chat/slack/x.ts': `import type { Tenant } from '../../../db/schema.js'; import { Inbound } from '../../engine/inbound.js';`,
          'prompts/en.ts': `import { quote } from './quote.js'; import type { Locale } from '../db/schema.js';`,
          'src/main.ts': `import { commands } from '../handlers/index.js'; import { deliverDue } from './scheduler/outbox.js';`,
          'src/engine/x.ts': `import { homeReply } from '../views/home.js'; import { z } from 'zod';`,
        }),
      ),
    ).toEqual([]);
    // Cycles, with the files around them printed; a file importing itself is one; a diamond is none.
    expect(cycles(fake({ 'src/domain/a.ts': `import './b.js';`, 'src/domain/b.ts': `import './c.js';`, 'src/domain/c.ts': `import type { A } from './a.js';` }))).toEqual([
      'src/domain/a.ts -> src/domain/b.ts -> src/domain/c.ts -> src/domain/a.ts',
    ]);
    expect(cycles(fake({ 'src/domain/a.ts': `import './a.js';` }))).toEqual(['src/domain/a.ts -> src/domain/a.ts']);
    expect(
      cycles(fake({ 'src/domain/a.ts': `import './b.js'; import './c.js';`, 'src/domain/b.ts': `import './d.js';`, 'src/domain/c.ts': `import './d.js';`, 'src/domain/d.ts': `` })),
    ).toEqual([]);
  });

  it('the real tree is read: the checker sees the imports it judges', () => {
    // Not vacuous: known edges of the tree are in the graph.
    expect(graph.get('src/engine/inbound.ts')).toContain('src/views/home.ts');
    expect(graph.get('src/main.ts')).toContain('handlers/index.ts');
    expect(graph.get('prompts/en.ts')).toContain('prompts/quote.ts');
    // Every import resolves to a file that exists (a path the checker got wrong would hide a crossing).
    const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !existsSync(join(ROOT, to))).map((to) => `${from} -> ${to}`));
    expect(missing).toEqual([]);
  });

  it('each layer imports only the layers below it', () => {
    expect(crossings(graph)).toEqual([]);
  });

  it('no import cycles between files', () => {
    expect(cycles(graph)).toEqual([]);
  });
});
