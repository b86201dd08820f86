// Slack modals for `/touch` and `/complaint` without arguments, and for a
// button whose command still needs its text (Resolve asks for the resolution).
// A submission becomes the same command text a rep would type, so the engine
// applies the same checks and writes the same rows.
import type { ViewStateValue } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import type { Catalog } from '../../../prompts/index.js';
import { COMPLAINT_CATEGORIES, SEVERITIES, TOUCH_KINDS } from '../../../db/schema.js';
import { FIELD_OF, formCommandText, withText } from '../../engine/forms.js';
import { accountValue, cutPlain, INPUT_TEXT_MAX, OPTION_TEXT_MAX, PLACEHOLDER_MAX, VIEW_TITLE_MAX } from './blocks.js';

export const ACCOUNT_ACTION = 'steward:account';
export const FORM_CALLBACK = { touch: 'steward:form:touch', complaint: 'steward:form:complaint', text: 'steward:form:text' } as const;

/** Which block shows an error about which argument or option: the form field's own name. */
export const FIELD_BLOCKS: Readonly<Record<string, string>> = FIELD_OF;

export interface Prefill {
  note?: string;
  account?: string;
  /** The account's id, for a name too long to be its picker's value. */
  accountId?: number;
  /** Link back to the Slack message a shortcut was used on. */
  sourceRef?: string;
}

const plain = (text: string, max = PLACEHOLDER_MAX) => ({ type: 'plain_text' as const, text: cutPlain(text, max).text });
const options = (values: readonly string[], label: (v: string) => string) => values.map((v) => ({ text: plain(label(v)), value: v }));

function accountBlock(t: Catalog, account?: string, id?: number) {
  return {
    type: 'input' as const,
    block_id: 'account',
    label: plain(t.forms.account),
    element: {
      type: 'external_select' as const,
      action_id: ACCOUNT_ACTION,
      min_query_length: 0,
      placeholder: plain(t.forms.accountPlaceholder),
      ...(account ? { initial_option: { text: plain(account, OPTION_TEXT_MAX), value: accountValue(account, id) } } : {}),
    },
  };
}

function noteBlock(label: string, initial?: string) {
  return {
    type: 'input' as const,
    block_id: 'note',
    label: plain(label),
    element: {
      type: 'plain_text_input' as const,
      action_id: 'value',
      multiline: true,
      max_length: INPUT_TEXT_MAX,
      ...(initial ? { initial_value: cutPlain(initial, INPUT_TEXT_MAX).text } : {}),
    },
  };
}

export function touchModal(t: Catalog, prefill: Prefill = {}): ModalView {
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK.touch,
    private_metadata: JSON.stringify({ sourceRef: prefill.sourceRef }),
    title: plain(t.forms.touchTitle, VIEW_TITLE_MAX),
    submit: plain(t.forms.save, VIEW_TITLE_MAX),
    close: plain(t.forms.cancel, VIEW_TITLE_MAX),
    blocks: [
      accountBlock(t, prefill.account, prefill.accountId),
      {
        type: 'input',
        block_id: 'kind',
        label: plain(t.forms.kind),
        element: {
          type: 'static_select',
          action_id: 'value',
          options: options(TOUCH_KINDS, (k) => t.enums.touchKind[k as keyof typeof t.enums.touchKind]),
          initial_option: { text: plain(t.enums.touchKind.visit), value: 'visit' },
        },
      },
      { type: 'input', block_id: 'date', optional: true, label: plain(t.forms.date), element: { type: 'datepicker', action_id: 'value' } },
      { type: 'input', block_id: 'contact', optional: true, label: plain(t.forms.contact), element: { type: 'plain_text_input', action_id: 'value', max_length: 200 } },
      noteBlock(t.forms.note, prefill.note),
    ],
  };
}

export function complaintModal(t: Catalog, prefill: Prefill = {}): ModalView {
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK.complaint,
    private_metadata: JSON.stringify({ sourceRef: prefill.sourceRef }),
    title: plain(t.forms.complaintTitle, VIEW_TITLE_MAX),
    submit: plain(t.forms.save, VIEW_TITLE_MAX),
    close: plain(t.forms.cancel, VIEW_TITLE_MAX),
    blocks: [
      accountBlock(t, prefill.account, prefill.accountId),
      {
        type: 'input',
        block_id: 'severity',
        label: plain(t.forms.severity),
        element: {
          type: 'static_select',
          action_id: 'value',
          options: options(SEVERITIES, (k) => t.enums.severity[k as keyof typeof t.enums.severity]),
          initial_option: { text: plain(t.enums.severity.medium), value: 'medium' },
        },
      },
      {
        type: 'input',
        block_id: 'category',
        label: plain(t.forms.category),
        element: {
          type: 'static_select',
          action_id: 'value',
          options: options(COMPLAINT_CATEGORIES, (k) => t.enums.category[k as keyof typeof t.enums.category]),
          initial_option: { text: plain(t.enums.category.other), value: 'other' },
        },
      },
      noteBlock(t.forms.summary, prefill.note),
    ],
  };
}

/** Asks for the text a button's command still needs, then runs `command <text>`. */
export function textModal(t: Catalog, command: string, what: string): ModalView {
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK.text,
    private_metadata: JSON.stringify({ command }),
    title: plain(command.trim().split(/\s+/)[0] || '/steward', VIEW_TITLE_MAX),
    submit: plain(t.forms.save, VIEW_TITLE_MAX),
    close: plain(t.forms.cancel, VIEW_TITLE_MAX),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `\`${command.replace(/[`<>&]/g, '')}\`` } }, noteBlock(what)],
  };
}

type State = Record<string, Record<string, ViewStateValue>>;

function value(state: State, block: string): string | undefined {
  const v = Object.values(state[block] ?? {})[0];
  return v?.selected_option?.value ?? v?.selected_date ?? v?.value ?? undefined;
}

/** The account picker's value: a name, or `id:<n>` (see accountValue). */
export const pickedAccount = (state: State): string | undefined => value(state, 'account');

/** The command text a submitted form stands for; `account`: the picked account's name, when its value was an id. */
export function formCommand(callbackId: string, state: State, metadata: string, account?: string): string | undefined {
  const meta = (metadata ? JSON.parse(metadata) : {}) as { command?: string };
  if (callbackId === FORM_CALLBACK.text) return meta.command && withText(meta.command, value(state, 'note'));
  const kind = callbackId === FORM_CALLBACK.touch ? 'touch' : callbackId === FORM_CALLBACK.complaint ? 'complaint' : undefined;
  if (!kind) return undefined;
  const blocks = Object.entries(FIELD_BLOCKS).map(([field, block]) => [FIELD_OF[field]!, value(state, block)] as const);
  return formCommandText(kind, { ...Object.fromEntries(blocks), ...(account === undefined ? {} : { account }) });
}
