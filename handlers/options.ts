// Option and argument declarations several commands share, with the words a
// Chinese-speaking team types for them.
import { COMPLAINT_CATEGORIES, CONTACT_LEVELS, FUNCTIONS, ROLES, SEVERITIES, SIGNAL_KINDS, TIERS, TOUCH_KINDS } from '../db/schema.js';
import type { Catalog } from '../prompts/index.js';
import { Refusal, type RefusalCode } from '../src/domain/refusal.js';
import { UserError } from '../src/engine/errors.js';
import type { Rich } from '../src/engine/reply.js';
import type { ArgSpec, FlagSpec, OptionSpec } from '../src/engine/spec.js';

export const accountArg: ArgSpec = { name: 'account', type: 'account' };
export const optionalAccountArg: ArgSpec = { name: 'account', type: 'account', optional: true };

export const tierOption: OptionSpec = {
  name: 'tier',
  aliases: ['级别', '分级', '等级'],
  type: 'enum',
  values: TIERS,
  valueAliases: { 战略: 'strategic', 战略客户: 'strategic', 大客户: 'key', 重点: 'key', 重点客户: 'key', 一般: 'standard', 一般客户: 'standard' },
};

export const levelOption: OptionSpec = {
  name: 'level',
  aliases: ['层级', '级别'],
  type: 'enum',
  values: CONTACT_LEVELS,
  valueAliases: {
    exec: 'executive',
    dm: 'decision-maker',
    高层: 'executive',
    决策人: 'decision-maker',
    决策者: 'decision-maker',
    经理: 'manager',
    中层: 'manager',
    操作: 'operator',
    执行: 'operator',
    一线: 'operator',
    决策层: 'decision-maker',
    管理层: 'manager',
    操作层: 'operator',
    执行层: 'operator',
    基层: 'operator',
    高管: 'executive',
  },
};

export const functionOption: OptionSpec = {
  name: 'function',
  aliases: ['职能', '部门'],
  type: 'enum',
  values: FUNCTIONS,
  valueAliases: { exec: 'executive', ops: 'operations', tech: 'technical', 高层: 'executive', 销售: 'sales', 运营: 'operations', 财务: 'finance', 技术: 'technical' },
};

export const kindArg: ArgSpec = {
  name: 'kind',
  type: 'enum',
  values: TOUCH_KINDS,
  valueAliases: { 拜访: 'visit', 上门: 'visit', 电话: 'call', 会议: 'meeting', 开会: 'meeting', 消息: 'message', 微信: 'message', 邮件: 'message', 复盘: 'review', 评审: 'review' },
};

export const severityOption: OptionSpec = {
  name: 'severity',
  aliases: ['sev', '严重度', '严重程度', '严重', '优先级'],
  type: 'enum',
  values: SEVERITIES,
  valueAliases: { 紧急: 'critical', 严重: 'critical', 高: 'high', 中: 'medium', 低: 'low' },
};

export const categoryOption: OptionSpec = {
  name: 'category',
  aliases: ['cat', '类别', '类型'],
  type: 'enum',
  values: COMPLAINT_CATEGORIES,
  valueAliases: { 货损: 'damage', 破损: 'damage', 延误: 'delay', 延迟: 'delay', 账单: 'billing', 结算: 'billing', 服务: 'service', 质量: 'quality', 其他: 'other' },
};

export const signalKindArg: ArgSpec = {
  name: 'kind',
  type: 'enum',
  values: SIGNAL_KINDS,
  valueAliases: {
    volume: 'volume-drop',
    price: 'price-pressure',
    'decision-maker': 'decision-maker-change',
    payment: 'payment-delay',
    strategy: 'strategy-change',
    量下降: 'volume-drop',
    货量下降: 'volume-drop',
    压价: 'price-pressure',
    降价: 'price-pressure',
    竞争对手: 'competitor',
    竞品: 'competitor',
    决策人变动: 'decision-maker-change',
    换人: 'decision-maker-change',
    付款延迟: 'payment-delay',
    拖款: 'payment-delay',
    战略调整: 'strategy-change',
    战略变化: 'strategy-change',
    回款延迟: 'payment-delay',
    回款慢: 'payment-delay',
    货量减少: 'volume-drop',
    量减少: 'volume-drop',
    决策人变更: 'decision-maker-change',
    竞争: 'competitor',
    价格压力: 'price-pressure',
  },
};

export const roleArg: ArgSpec = {
  name: 'role',
  type: 'enum',
  values: ROLES,
  valueAliases: { 销售: 'rep', 经理: 'manager', 高管: 'exec', 管理员: 'admin' },
};

export const mineFlag: FlagSpec = { name: 'mine', aliases: ['me', '我的'] };
export const allFlag: FlagSpec = { name: 'all', aliases: ['全部'] };

export const ownerOption: OptionSpec = { name: 'owner', aliases: ['负责人', '客户经理'], type: 'mention' };

/**
 * Runs a domain service for a handler. A refusal whose code is one of `badValues`
 * is about a value the user typed (a date in the future, revenue over spend): it
 * is told as bad input, its sentence with the usage, as the binder tells a value
 * it cannot read. Any other refusal (a rule or a permission) goes on as it is.
 */
export async function withBadValues<T>(t: Catalog, badValues: readonly RefusalCode[], fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof Refusal) || !badValues.includes(e.code)) throw e;
    const bad = UserError.usage(e.words(t) as Rich, e.items as Rich[]);
    bad.field = e.field;
    throw bad;
  }
}
