// Every command Steward answers to, in the order help lists them.
import type { CommandSpec } from '../src/engine/spec.js';
import { account } from './account.js';
import { complaint } from './complaint.js';
import { contact } from './contact.js';
import { coverageCommand } from './coverage.js';
import { checklistCommand } from './checklist.js';
import { riskCommand } from './risk.js';
import { churnCommand, lostCommand } from './lost.js';
import { handoverCommand, leaveCommand } from './handover.js';
import { digestCommand } from './digest.js';
import { pairCommand, unpairCommand } from './pair.js';
import { review } from './review.js';
import { snoozeCommand } from './snooze.js';
import { promise } from './promise.js';
import { resolveCommand } from './resolve.js';
import { signal } from './signal.js';
import { steward } from './steward.js';
import { touch } from './touch.js';

export const commands: readonly CommandSpec[] = [
  touch,
  complaint,
  resolveCommand,
  promise,
  signal,
  account,
  riskCommand,
  contact,
  coverageCommand,
  lostCommand,
  churnCommand,
  handoverCommand,
  leaveCommand,
  checklistCommand,
  digestCommand,
  pairCommand,
  unpairCommand,
  review,
  snoozeCommand,
  steward,
];
