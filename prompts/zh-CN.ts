// Steward 说的每一句话（简体中文）。类型为 `Catalog`，与 en.ts 结构一致，缺键会编译报错。
// 用词取自销售团队自己的说法（见 DOMAIN.md 词汇表）：战略客户、重点客户、触点、回访、投诉、升级、异动、承诺……
// 命令示例用 handlers 中声明的中文别名（/客户 添加、/联系人、层级:决策人 等），英文写法同样可用。
import type { Catalog } from './en.js';

/** 中文列举用顿号。 */
const list = (items: string[]) => items.join('、');
/** “甲、乙或丙”：用于“你是不是要找……”和“只有……可以”。 */
const either = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join('、')}或${items[items.length - 1]}` : items.join(''));

/** 用法行里 `<占位符>` 的中文说法。 */
const placeholders = {
  account: '客户',
  kind: '类型',
  name: '名称',
  note: '备注',
  summary: '摘要',
  resolution: '处理结果',
  text: '内容',
  detail: '详情',
  date: '日期',
  contact: '联系人',
  days: '天数',
  command: '命令',
  someone: '@某人',
  member: '@某人',
  role: '角色',
  complaint: 'C-<n>',
  promise: 'P-<n>',
};

/** 必填选项的中文别名（handlers 中声明的），提示时一并给出。 */
const optionWords: Record<string, string> = { due: '截止', manager: '经理' };

export const zhCN: Catalog = {
  formats: {
    /** Luxon 格式。 */
    day: 'yyyy年M月d日 ccc',
    dateTime: 'yyyy年M月d日 ccc HH:mm',
  },
  enums: {
    tier: { strategic: '战略客户', key: '重点客户', standard: '一般客户' },
    accountStatus: { active: '活跃', lost: '已流失' },
    level: { executive: '高层', 'decision-maker': '决策人', manager: '中层', operator: '一线' },
    fn: { executive: '高层', sales: '销售', operations: '运营', finance: '财务', technical: '技术' },
    role: { rep: '销售', manager: '经理', exec: '高管', admin: '管理员' },
    touchKind: { visit: '拜访', call: '电话', meeting: '会议', message: '消息', review: '业务复盘' },
    severity: { critical: '紧急', high: '高', medium: '中', low: '低' },
    category: { damage: '货损', delay: '延误', billing: '结算', service: '服务', quality: '质量', other: '其他' },
    complaintStatus: { open: '未解决', resolved: '已解决' },
    promiseStatus: { open: '待兑现', kept: '已兑现', broken: '未兑现' },
    signal: {
      'volume-drop': '货量下降',
      'price-pressure': '压价',
      competitor: '竞争对手动向',
      'decision-maker-change': '决策人变动',
      'payment-delay': '付款延迟',
      'strategy-change': '战略调整',
    },
  },
  /** 用法行里 `<占位符>` 的含义。 */
  placeholders,
  summaries: {
    touch: '记录与客户的拜访、电话、会议、消息或业务复盘',
    complaint: '登记、查看和转交客户投诉（C-<n>）',
    resolve: '写明处理结果，给投诉结案',
    promise: '记录对客户的承诺，以及是否兑现（P-<n>）',
    signal: '记录客户可能流失的异动信号',
    account: '添加、查看、列出和修改客户',
    contact: '管理客户方的对接人，记录谁已离职',
    steward: '帮助、我是谁、角色、团队和设置',
  },
  common: {
    none: '无',
    nobody: '未指定',
    justNow: '刚刚',
    overdue: '已逾期',
    andMore: (n: number) => `……另有${n}条`,
  },
  buttons: {
    show: '查看客户',
    logTouch: '记录拜访',
    logComplaint: '登记投诉',
    resolve: '结案',
    takeOwnership: '我来跟进',
    kept: '标记已兑现',
  },
  expect: {
    text: '一段文字',
    amount: '金额，例如 120万、350k、1.2m 或 1200000',
    days: '天数，例如 14、14天 或 2周',
    hours: '时长，例如 4小时、3天 或 1周',
    zone: 'IANA 时区，例如 Asia/Shanghai',
  },
  errors: {
    internal: (ref: string) => `系统出了点问题，本次没有保存任何内容。请重试；如果一直出现，请联系管理员（编号 ${ref}）。`,
    unknownCommand: (typed: string, suggestions: string[]) =>
      `没有“${typed}”这个命令。${suggestions.length ? `你是不是要用 ${either(suggestions)}？` : ''}输入 /助手 帮助 查看全部命令。`,
    unknownAccount: (typed: string, suggestions: string[]) =>
      `没有找到客户“${typed}”。${suggestions.length ? `你是不是要找${either(suggestions)}？` : ''}新客户可以用 /客户 添加 ${typed} 建档。`,
    ambiguousAccount: (typed: string) => `“${typed}”对应多个客户，是哪一个？（请用引号写出全称。）`,
    missingArg: (what: string) => `缺少${what}。`,
    missingText: (what: string) => `缺少${what}。`,
    missingOption: (name: string) => `缺少 ${name}: 选项${optionWords[name] ? `（也可写 ${optionWords[name]}:）` : ''}。`,
    unknownOption: (key: string, hasText: boolean) =>
      `不认识选项“${key}:”。${hasText ? '如果这是正文的一部分，请把正文放在引号里。' : ''}`,
    badOption: (name: string, value: string, expected: string) => `${name}: 不能填“${value}”，应填${expected}。`,
    badEnum: (name: string, value: string, values: readonly string[]) =>
      `“${value}”不是有效的${(placeholders as Record<string, string>)[name] ?? name}。可选：${list([...values])}。`,
    badRef: (prefix: string, value: string) => `“${value}”不是有效编号，应形如 ${prefix}-12。`,
    badMention: (value: string) => `找不到“${value}”这个人。请用 @姓名 的方式提及。`,
    badDate: (value: string) => `无法识别日期“${value}”。可以写 2026-11-20、今天、昨天、下周五、+7d 或 friday。`,
    impossibleDate: (value: string) => `“${value}”不是一个真实存在的日期。`,
    tooLong: (length: number, max: number) => `内容有${length}个字，上限是${max}个。请精简，或拆成几条记录。`,
    unclosedQuote: (quote: string) => `有一个值以 ${quote} 开头，但缺少对应的后引号。`,
    unexpected: (extra: string) => `这里不应该出现“${extra}”。`,
  },
  help: {
    title: 'Steward：守住你的大客户',
    intro: '把和客户之间发生的事记下来；Steward 替你记着、盯着时限，并提醒该跟进的人。',
    footer: '每个命令也可以写成 /助手 <命令>。输入 /助手 帮助 <命令> 查看用法和示例。',
    usage: '用法',
    examples: '示例',
    aliases: (names: string) => `别名：${names}`,
    more: (command: string) => `详见：${command}`,
  },
  perm: {
    owner: (name: string) => `负责人${name}`,
    theOwner: '负责人',
    manager: (name: string) => `其上级${name}`,
    refused: (what: string, who: string[]) => `只有${either([...who, '管理员'])}可以${what}。`,
    adminOnly: (what: string) => `只有管理员可以${what}。请找管理员处理，或用 /助手 团队 查看谁是管理员。`,
    what: {
      resolve: (id: string) => `给 ${id} 结案`,
      reassign: (id: string) => `转交 ${id}`,
      closePromise: (id: string) => `关闭 ${id}`,
      editAccount: (name: string) => `修改${name}`,
      roles: '修改角色',
      team: '调整汇报关系',
      settings: '修改设置',
    },
  },
  account: {
    added: (name: string, tier: string, owner: string) => `已添加${name}（${tier}），负责人：${owner}。`,
    addedNext: (name: string) => `下一步：用 /联系人 “${name}” 添加 <姓名> 层级:决策人 录入你在对方认识的人。`,
    nameTaken: (typed: string, existing: string) => `“${typed}”已被客户${existing}使用。`,
    nothingToSet: '请说明要修改什么，例如 级别:重点 或 负责人:@某人。',
    updated: (name: string, what: string) => `已更新${name}：${what}。`,
    fieldNames: {
      tier: '级别',
      ownerId: '负责人',
      region: '区域',
      industry: '行业',
      annualRevenue: '营收',
      categorySpend: '品类总支出',
      cadenceDays: '回访周期',
      aliases: '别名',
      name: '名称',
    },
    profileTitle: (name: string) => name,
    fields: {
      tier: '级别',
      owner: '负责人',
      status: '状态',
      walletShare: '钱包份额',
      region: '区域',
      industry: '行业',
      aliases: '别名',
      lastTouch: '最近触点',
      nextRevisit: '下次回访',
    },
    ownerGone: '已离职',
    walletUnknown: '未知：设置 营收: 和 总支出: 后即可算出',
    wallet: (share: string, ours: string, theirs: string) => `${share}（对方该品类年支出${theirs}，其中我们${ours}）`,
    lastTouch: (kind: string, day: string, ago: string, by: string, contact?: string) =>
      `${day}（${ago}），${by}${contact ? `与${contact}` : ''}的${kind}`,
    neverTouched: '暂无',
    nextRevisit: (day: string, cadence: number, dueIn: number) =>
      `${day}（每${cadence}天回访一次${dueIn < 0 ? `，已逾期${-dueIn}天` : ''}）`,
    gap: '— 尚无对接人',
    contactsHeading: (n: number) => `联系人（${n}）`,
    complaintsHeading: (n: number) => `未解决投诉（${n}）`,
    complaintLine: (id: string, severity: string, summary: string, overdue: boolean) => `${id}【${severity}】${summary}${overdue ? ' — 已逾期' : ''}`,
    promisesHeading: (n: number) => `待兑现承诺（${n}）`,
    promiseLine: (id: string, text: string, due: string, overdue: boolean) => `${id} ${due}到期：${text}${overdue ? ' — 已逾期' : ''}`,
    signalsHeading: '近90天的流失信号',
    listTitle: (n: number) => `客户（${n}）`,
    listLine: (name: string, tier: string, owner: string, last: string) => `${name} · ${tier} · ${owner} · 最近触点：${last}`,
    noneYet: '还没有客户。用 /客户 添加 <名称> 级别:战略 添加第一个。',
  },
  contact: {
    added: (name: string, account: string, level: string, title?: string) =>
      `已添加${account}的联系人：${name}（${title ? `${title}，` : ''}${level}）。`,
    exists: (name: string, account: string) => `${name}已经是${account}的联系人。`,
    unknown: (typed: string, account: string, suggestions: string[]) =>
      `${account}没有叫“${typed}”的联系人。${suggestions.length ? `你是不是要找${either(suggestions)}？` : ''}`,
    ambiguous: (typed: string, account: string) => `“${typed}”对应${account}的多位联系人，是哪一位？`,
    addHint: (account: string, typed: string) => `请先添加：/联系人 “${account}” 添加 ${typed} 层级:中层`,
    leftRecorded: (name: string, account: string, replacement?: string) =>
      `已记录${name}从${account}离职${replacement ? `，由${replacement}接任` : ''}。`,
    signalDetail: (name: string, seat: string, replacement?: string) => `${name}（${seat}）离职${replacement ? `，由${replacement}接任` : ''}`,
    signalRecorded: (account: string) =>
      `${account}决策人变动是流失信号，已记为一条异动。请尽快拜访接任者，最好请我方高层一同前往。`,
    listTitle: (account: string, n: number) => `${account}的联系人（在职${n}人）`,
    line: (name: string, level: string, title?: string, fn?: string, leftOn?: string) =>
      `${name}${title ? `，${title}` : ''} · ${level}${fn ? ` · ${fn}` : ''}${leftOn ? ` · ${leftOn}离职` : ''}`,
    noneYet: (account: string) => `还没有联系人。用 /联系人 “${account}” 添加 <姓名> 层级:决策人 添加一位。`,
  },
  touch: {
    logged: (kind: string, account: string, who: string, day: string, colleagues: string[]) =>
      `已记录${day}与${account}${who}的${kind}${colleagues.length ? `，同行：${list(colleagues)}` : ''}。`,
    withContact: (name: string, level: string) => `（${name}，${level}）`,
    tooOld: (day: string) => `${day}距今已超过五年，请检查日期。`,
    future: (day: string) => `${day}还没到。触点请在发生之后再记录；计划要做的事请用 /承诺 记下来。`,
    nextRevisit: (day: string, tier: string, cadence: number) => `下次回访：${day}（${tier}每${cadence}天回访一次）。`,
    contactLeft: (name: string) => `注意：${name}已记录为离职。`,
    openComplaints: (account: string, n: number) => `${account}还有${n}条未解决的投诉：/投诉 列表 “${account}”`,
  },
  complaint: {
    opened: (id: string, account: string, severity: string, deadline: string) =>
      `已为${account}登记投诉 ${id}（严重度：${severity}），处理时限：${deadline}。`,
    title: (id: string, account: string) => `投诉 ${id} · ${account}`,
    fields: {
      account: '客户',
      severity: '严重度',
      category: '类别',
      owner: '负责人',
      opened: '登记时间',
      deadline: '处理时限',
      resolution: '处理结果',
      escalation: '升级',
    },
    escalationLevel: (level: number) => ['未升级', '已提醒负责人', '已升级到经理', '已升级到高层'][level] ?? `第${level}级`,
    unknown: (id: string) => `没有投诉 ${id}。用 /投诉 列表 全部 查看所有投诉。`,
    alreadyResolved: (id: string) => `${id}已经解决了。`,
    inactiveMember: (name: string) => `${name}已离职，请选择一位在职的同事。`,
    assigned: (id: string) => `${id}现已转交给 `,
    assignedToYou: (id: string, by: string) => `${by}把 ${id} 转交给了你`,
    listTitle: (n: number, status?: string) => `投诉${status ? `（${status}）` : ''}：${n}条`,
    listLine: (id: string, account: string, severity: string, summary: string, owner: string, state: string) =>
      `${id} · ${account} · ${severity} · ${summary} · ${owner} · ${state}`,
    dueIn: (rel: string) => `${rel}到期`,
    noneOpen: '暂无投诉。',
  },
  resolve: {
    done: (id: string, age: string) => `${id}已结案，从登记到解决用时${age}。`,
    resolution: (text: string) => `处理结果：${text}`,
    late: (deadline: string) => `已超过处理时限（${deadline}）。建议给客户打个电话，把这件事闭环。`,
    already: (id: string, when: string, by: string) => `${id}已于${when}由${by}结案。`,
    threadClosed: (id: string, by: string) => `${id}已由${by}结案。`,
  },
  promise: {
    recorded: (id: string, account: string, due: string, owner: string) => `已记录对${account}的承诺 ${id}，${due}到期，负责人：${owner}。`,
    pastDue: (day: string) => `${day}已经过去了。承诺的截止日期须是今天或之后。`,
    unknown: (id: string) => `没有承诺 ${id}。用 /承诺 列表 全部 查看所有承诺。`,
    alreadyClosed: (id: string, status: string) => `${id}已标记为${status}。`,
    kept: (id: string, late: boolean) => `${id}已兑现${late ? '（但晚于截止日期）' : ''}。记得告诉客户事情已经办好。`,
    broken: (id: string) => `${id}已标记为未兑现。`,
    brokenAdvice: '承诺没兑现最伤信任：请亲自告诉客户，说明原因，并约定新的日期。',
    listTitle: (n: number) => `承诺：${n}条`,
    listLine: (id: string, account: string, text: string, due: string, owner: string, state?: string) =>
      `${id} · ${account} · ${due}到期 · ${owner} · ${text}${state ? ` · ${state}` : ''}`,
    noneOpen: '暂无承诺。',
  },
  signal: {
    recorded: (kind: string, account: string) => `已记录${account}的异动：${kind}。`,
    advice: {
      'volume-drop': '别等客户开口，先去问清原因：货量下滑背后往往有还来得及解决的问题。',
      'price-pressure': '压价背后常常是没解决的服务问题。谈价格之前，先看看还有哪些未解决的投诉。',
      competitor: '摸清竞争对手开出的条件，以及他们在和客户方的哪些人接触。',
      'decision-maker-change': '尽快拜访新的决策人，最好请我方高层一同前往。',
      'payment-delay': '请双方财务对接沟通：拖款可能说明对方经营有困难，也可能是对我们有意见。',
      'strategy-change': '客户的需求可能在变：看看他们接下来需要什么，我们能不能提供。',
    },
    listTitle: (account?: string) => `${account ? `${account}的` : ''}流失信号`,
    none: '暂无流失信号记录。',
  },
  steward: {
    fields: {
      role: '角色',
      function: '职能',
      manager: '上级',
      reports: '下属',
      timezone: '时区',
      locale: '语言',
      workspace: '工作区',
    },
    meUpdated: (what: string) => `已更新你的设置：${what}。`,
    roleSet: (role: string) => ` 现在的角色是${role}。`,
    lastAdmin: (name: string) => `${name}是最后一位管理员，请先把其他人设为管理员。`,
    teamTitle: (n: number) => `团队（${n}人）`,
    teamLine: (name: string, role: string, manager?: string) => `${name} · ${role}${manager ? ` · 上级：${manager}` : ''}`,
    teamSet: (rep: string, manager: string) => `${rep}现在向${manager}汇报。`,
    promoted: (name: string) => `${name}现在是经理。`,
    selfManager: '任何人都不能做自己的上级。',
    cycle: (rep: string, manager: string) => `${manager}已经（直接或间接）向${rep}汇报，这样会形成循环。`,
    settingsTitle: '设置',
    settingsUpdated: (what: string) => `设置已更新：${what}。`,
    seasonOrder: (start: string, deadline: string) => `供应商复盘季的开始日期（${start}）必须早于截止日期（${deadline}）。`,
  },
};
