// One-off codemod (issue #22): rewrites `new UserError(detail, items, showUsage, missingText)`
// into the named constructors `UserError.usage/.refusal/.missingText`. Run on the files that
// still construct it positionally, then delete this file:
//   node scripts/named-user-errors.mjs $(grep -rl "new UserError(" src handlers test bench | grep -v src/engine/errors.ts)
// A call it cannot read for sure (a flag that is not a literal) is listed and left as it is.
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

let left = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits = [];
  const visit = (node) => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'UserError') {
      const args = (node.arguments ?? []).map((a) => a.getText(src));
      const empty = (a) => a === undefined || /^\[\s*\]$/.test(a);
      const [detail, items, usage, missing] = args;
      let out;
      if (missing !== undefined) out = usage === 'true' && empty(items) ? `UserError.missingText(${detail}, ${missing})` : undefined;
      else if (usage === undefined || usage === 'true') out = empty(items) ? `UserError.usage(${detail})` : `UserError.usage(${detail}, ${items})`;
      else if (usage === 'false') out = empty(items) ? `UserError.refusal(${detail})` : `UserError.refusal(${detail}, ${items})`;
      if (out === undefined) {
        const { line } = src.getLineAndCharacterOfPosition(node.getStart(src));
        console.error(`${file}:${line + 1}: left as it is: ${node.getText(src)}`);
        left++;
      } else edits.push({ start: node.getStart(src), end: node.getEnd(), out });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  if (!edits.length) continue;
  let s = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) s = s.slice(0, e.start) + e.out + s.slice(e.end);
  writeFileSync(file, s);
  console.log(`${file}: ${edits.length} rewritten`);
}
process.exitCode = left ? 1 : 0;
