// Flows that share one SQLite connection (the main process's: the engine's views and commands, delivery,
// the Slack installation store) while a transaction of another flow waits on an await: a bare statement
// would join that transaction and be undone with it (db/transaction.ts). Real SQLite file, real engine.
import { afterEach, describe, expect, it } from 'vitest';
import { slackInstallationRecords } from '../src/domain/installations.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
afterEach(() => h?.close());

describe('one connection, a command refused meanwhile', () => {
  it('an installation saved while a refused command holds the connection is kept', async () => {
    h = harness();
    const records = slackInstallationRecords(h.db);
    const row = { key: 'T1', teamId: 'T1', orgWide: false, installation: { team: { id: 'T1' }, bot: { token: 'xoxb-1' } } };
    const [refused] = await Promise.all([h.run('/touch Nowhere visit Walked the floor'), records.save(row)]);
    expect(refused.ok).toBe(false);
    expect((await records.find('T1'))?.installation).toEqual(row.installation);
  });

  it('an installation removed while a refused command holds the connection stays removed', async () => {
    h = harness();
    const records = slackInstallationRecords(h.db);
    await records.save({ key: 'T1', teamId: 'T1', orgWide: false, installation: { team: { id: 'T1' } } });
    const [refused, removed] = await Promise.all([h.run('/touch Nowhere visit Walked the floor'), records.remove('T1')]);
    expect(refused.ok).toBe(false);
    expect(removed).toBe(true);
    expect(await records.find('T1')).toBeUndefined();
  });
});
