// A person their platform does not know (members.name_known = false) is named as
// such wherever Steward names them, never by a bare id (issue 17 part 12 leftovers).
import { afterEach, describe, expect, it } from 'vitest';
import { digestFor } from '../src/views/digest.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';
import { kit } from './kit.js';
import { transact } from '../db/index.js';

let h: Harness;
afterEach(() => h?.close());
const { tenant, member } = kit(() => h);

/** The shell, except that its platform cannot say who u31 is. */
const user = (name: string) => (shellUser(name).platformUserId === 'u31' ? { ...shellUser(name), unnamed: true } : shellUser(name));
async function ok(text: string, as = 'alice') {
  const out = await h.engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: user(as), text }, async (m) => user(m));
  const said = renderText(out.reply);
  expect(out.ok, `${text}\n${said}`).toBe(true);
  return { ...out, text: said };
}
const UNKNOWN = 'someone (u31) not known to the shell';

/** U31 joins (through a mention), then their platform stops knowing who they are. */
async function withUnknown() {
  h = harness();
  await ok('/steward whoami', 'alice');
  await ok('/steward team @zhang manager:@li', 'alice');
  await ok('/steward team @u31 manager:@li', 'alice');
  expect((await member('u31')).nameKnown).toBe(false);
  await ok('/account add Acme tier:strategic owner:@u31', 'alice');
}

describe('an unknown person is named as unknown', () => {
  it('as the owner in /account show and /account list', async () => {
    await withUnknown();
    expect((await ok('/account show Acme', 'alice')).text).toContain(UNKNOWN);
    expect((await ok('/account list', 'alice')).text).toContain(UNKNOWN);
  });

  it('as the assignee in /complaint show and /complaint list', async () => {
    await withUnknown();
    await ok('/complaint Acme severity:high Late deliveries', 'alice');
    await ok('/complaint assign C-1 @u31', 'alice');
    expect((await ok('/complaint show C-1', 'alice')).text).toContain(UNKNOWN);
    expect((await ok('/complaint list all', 'alice')).text).toContain(UNKNOWN);
  });

  it('as the owner of a promise', async () => {
    await withUnknown();
    await ok('/promise Acme due:2026-12-20 Send the new rates', 'u31');
    expect((await ok('/promise list', 'alice')).text).toContain(UNKNOWN);
  });

  it('in the /handover answer', async () => {
    await withUnknown();
    const out = (await ok('/handover @u31 @zhang', 'alice')).text;
    expect(out).toContain(UNKNOWN);
    expect(out).not.toMatch(/\bu31\b(?! not known)(?!\))/);
  });

  it('in the digest of their manager', async () => {
    await withUnknown();
    await ok('/promise Acme due:2026-11-23 Send the new rates', 'u31');
    await ok('/promise kept P-1', 'u31');
    const text = renderText(await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member('li'), h.now)));
    expect(text).toContain(UNKNOWN);
  });
});
