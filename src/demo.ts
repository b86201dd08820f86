// A realistic sample book for `npm start -- --demo`: we are a logistics
// provider; our customers are manufacturers and retailers. It is loaded through
// the same commands a rep would type, so it exercises the real paths.
import { count, eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { accounts, nudges } from '../db/schema.js';
import { shellUser, SHELL_WORKSPACE } from './chat/shell/shell.js';
import { normalize } from './domain/text.js';
import { plain } from './engine/reply.js';
import type { Engine } from './engine/engine.js';

/** [who types it, what they type]; `me` is the shell's own user. */
const SCRIPT: [string, string][] = [
  ['me', '/steward role @chen exec'],
  ['me', '/steward team @zhang manager:@li'],
  ['me', '/steward team @wang manager:@li'],
  ['me', '/steward settings escalation-channel:#key-accounts'],
  ['me', '/account add Acme Electronics tier:strategic owner:@zhang region:East industry:"Consumer electronics" revenue:2.4m spend:9m aliases:ACME,艾克美'],
  ['me', '/account add Huadong Auto Parts tier:strategic owner:@wang region:East industry:Automotive revenue:1.8m spend:3m aliases:华东汽配'],
  ['me', '/account add Northwind Retail tier:strategic owner:@zhang region:North industry:Retail revenue:1.1m spend:6.5m'],
  ['me', '/account add Bluewave Pharma tier:key owner:@wang region:South industry:Pharmaceuticals revenue:600k spend:1.5m'],
  ['me', '/account add Jade Foods tier:key owner:@zhang region:South industry:"Cold-chain food" revenue:450k'],
  ['me', '/account add Kunlun Machinery tier:key owner:@wang region:West industry:"Industrial equipment" revenue:380k spend:2m'],
  ['me', '/account add Sunrise Textiles tier:standard owner:@zhang region:East industry:Textiles revenue:90k'],
  ['me', '/account add Pearl River Furniture tier:standard owner:@wang region:South industry:Furniture revenue:60k'],
  ['me', '/account add Greenleaf Cosmetics tier:standard owner:@zhang region:East industry:Cosmetics revenue:120k spend:300k'],
  ['zhang', '/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker function:logistics'],
  ['zhang', '/contact Acme add "Zhou Lan" title:COO level:executive function:operations'],
  ['zhang', '/contact Acme add "Sun Hao" title:"Warehouse Supervisor" level:operator function:warehouse'],
  ['zhang', '/contact Acme add "Ma Jing" title:"Purchasing Manager" level:manager function:purchasing'],
  ['wang', '/contact Huadong add "Gao Feng" title:"Supply Chain VP" level:executive'],
  ['wang', '/contact Huadong add "Qian Yu" title:"Logistics Manager" level:manager'],
  ['zhang', '/contact Northwind add "Helen Park" title:"Head of Distribution" level:decision-maker'],
  ['wang', '/contact Bluewave add "Dr. Lin" title:"Quality Director" level:decision-maker'],
  ['zhang', '/contact Jade add "Wu Ting" title:"Procurement Lead" level:manager'],
  ['zhang', '/touch Acme visit to:"Li Wei" on:-9d Walked the new Kunshan warehouse; they want cold-chain quotes for Q1'],
  ['chen', '/touch Acme meeting to:"Zhou Lan" with:@zhang on:-30d Annual executive dinner; renewal looks positive'],
  ['zhang', '/touch Acme call to:"Ma Jing" on:-2d Confirmed December peak volumes (+15%)'],
  ['wang', '/touch Huadong visit to:"Qian Yu" on:-40d Quarterly review of damage rates on the Shanghai-Chengdu lane'],
  ['zhang', '/touch Northwind meeting to:"Helen Park" on:-5d Discussed moving two DCs to us next year'],
  ['wang', '/touch Bluewave call to:"Dr. Lin" on:-20d GDP audit scheduled for January'],
  ['zhang', '/touch Jade message to:"Wu Ting" on:-60d Sent updated reefer tariffs'],
  ['wang', '/touch Kunlun visit on:-100d Site visit, met the plant manager'],
  ['wang', '/complaint Huadong severity:high category:damage 3 pallets of gearboxes crushed on the Shanghai-Chengdu lane; customer says it is the second time'],
  ['wang', '/complaint note C-1 Claim form sent to their logistics director; photos asked of the Chengdu hub'],
  ['zhang', '/promise Acme due:+10d Send cold-chain quote for the Kunshan warehouse'],
  ['wang', '/promise Huadong due:+3d Root-cause report on the crushed pallets'],
  ['wang', '/signal Huadong price-pressure Asked for 8% off at renewal, citing our damage rate'],
  ['wang', '/signal Huadong volume-drop Orders on the Chengdu lane down 30% since September'],
  ['wang', '/signal Huadong decision-maker-change A new logistics director started this month; nobody of ours has met him'],
  ['zhang', '/signal Jade competitor Saw a competitor reefer truck at their Guangzhou DC'],
];

/** Loads the sample book unless the demo database already has accounts. Returns whether it loaded. */
export async function loadDemo(engine: Engine, db: Db, me: string): Promise<boolean> {
  if ((await db.select({ n: count() }).from(accounts).get())!.n > 0) return false;
  // Whoever runs the demo is its admin; a colleague in the script who shares their name gets another.
  const persona = (name: string) => (normalize(name) === normalize(me) ? `${name}2` : name);
  for (const [who, line] of SCRIPT) {
    const user = who === 'me' ? me : persona(who);
    const text = line.replace(/@([a-z]+)/g, (_, name: string) => `@${persona(name)}`);
    const out = await engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, async (m) => shellUser(m));
    if (!out.ok) throw new Error(`demo script failed at "${text}": ${plain(out.reply.title ?? '')}`);
  }
  // The sample book's history is the past: what it would have told people then is not news now.
  await db.update(nudges).set({ status: 'skipped' }).where(eq(nudges.status, 'pending')).run();
  return true;
}
