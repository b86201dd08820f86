// `npm run build`: compiles Steward's source (src, handlers, prompts, db; not the tests or benches) with tsc into
// dist/, and copies db/migrations (and db/migrations-pg) beside the compiled db/index.js, which finds them next to itself
// (db/index.ts: MIGRATIONS_FOLDER), so dist/ with node_modules is all `npm run start:prod` needs.
// `--outDir <dir>` builds elsewhere (test/build.test.ts builds into a temporary directory).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');

/** Builds into `outDir` (emptied first, so a deleted source file leaves nothing behind). */
export function build(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
  cpSync(join(ROOT, 'db', 'migrations'), join(outDir, 'db', 'migrations'), { recursive: true });
  // PostgreSQL's (DATABASE_URL), found beside the compiled db/pg.js (PG_MIGRATIONS_FOLDER).
  cpSync(join(ROOT, 'db', 'migrations-pg'), join(outDir, 'db', 'migrations-pg'), { recursive: true });
}

/** The arguments `npm run start:prod` gives node (package.json), with dist/ replaced by `outDir`. */
export function prodArgs(outDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const command = pkg.scripts['start:prod']!.split(' ');
  if (command[0] !== 'exec' || command[1] !== 'node') throw new Error(`start:prod: expected "exec node ...", got ${JSON.stringify(pkg.scripts['start:prod'])}`);
  return command.slice(2).map((arg) => (arg.startsWith('dist/') ? join(outDir, arg.slice('dist/'.length)) : arg));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { outDir: { type: 'string', default: join(ROOT, 'dist') } }, strict: true });
  build(resolve(values.outDir));
}
