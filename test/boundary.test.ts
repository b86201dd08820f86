// Architecture boundaries, checked on the source tree itself:
// only the Slack and Lark adapters import their SDKs, and only src/config.ts reads the environment.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
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
      .flatMap((f) => specifiers(f.text).filter((s) => touches(s, f.path)).map((s) => `${f.path} -> ${s}`));
    expect(offenders).toEqual([]);
  });

  it('the engine (src/engine/) imports no adapter: what is platform-neutral (forms, the inbound service) lives there, not in src/chat/', () => {
    const resolved = (spec: string, from: string) => (spec.startsWith('.') ? join(from, '..', spec).split(sep).join('/') : spec);
    expect(resolved('../chat/forms.js', 'src/engine/inbound.ts')).toBe('src/chat/forms.js');
    const offenders = files
      .filter((f) => f.path.startsWith('src/engine/'))
      .flatMap((f) => specifiers(f.text).filter((s) => resolved(s, f.path).startsWith('src/chat/')).map((s) => `${f.path} -> ${s}`));
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
      visit(parse(text), (n) => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['handle', 'trial'].includes(n.expression.name.text) && /(?:^|\.)engine$/.test(n.expression.expression.getText()));
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
