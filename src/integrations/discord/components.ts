/**
 * Buttons on notifications and the reject dialog. A component's custom_id is the only state Discord
 * hands back, so it carries a versioned action and the id it acts on, and is validated on the way in
 * like any other input: `dreamos:1:<action>:<id>`.
 */
import { z } from 'zod';
import type { ActionRow, Button, InteractionResponse, TextInput } from './payloads';

export const BUTTON_ACTIONS = ['approve', 'reject', 'retry'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

const ProposalId = z.string().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab');
const TaskId = z.string().regex(/^tsk_[0-9a-f]{12}$/, 'expected a task id such as tsk_0123456789ab');

const ACTION_TARGET: Record<ButtonAction, z.ZodString> = { approve: ProposalId, reject: ProposalId, retry: TaskId };

export interface ComponentAction {
  action: ButtonAction;
  id: string;
}

const PREFIX = 'dreamos:1:';
export const REJECT_REASON_FIELD = 'reason';

export function encodeCustomId(a: ComponentAction): string {
  return `${PREFIX}${a.action}:${a.id}`;
}

export function decodeCustomId(customId: string): { ok: true; value: ComponentAction } | { ok: false; message: string } {
  if (!customId.startsWith(PREFIX)) return { ok: false, message: 'This button is not from this version of Dream.OS. Use the slash commands (/approve, /reject, /task show) instead.' };
  const [action, id, ...rest] = customId.slice(PREFIX.length).split(':');
  if (rest.length || !action || !id || !(BUTTON_ACTIONS as readonly string[]).includes(action)) {
    return { ok: false, message: 'This button is not one Dream.OS knows. Use the slash commands (/approve, /reject, /task show) instead.' };
  }
  const target = ACTION_TARGET[action as ButtonAction].safeParse(id);
  if (!target.success) return { ok: false, message: `This button names an invalid id (${target.error.issues[0]?.message ?? 'bad id'}).` };
  return { ok: true, value: { action: action as ButtonAction, id: target.data } };
}

const STYLE = { primary: 1, secondary: 2, success: 3, danger: 4 } as const;

export function buttonsFor(target: { kind: 'proposal'; id: string } | { kind: 'task'; id: string }): ActionRow {
  const b = (action: ButtonAction, label: string, style: Button['style']): Button => ({ type: 2, style, label, custom_id: encodeCustomId({ action, id: target.id }) });
  return target.kind === 'proposal'
    ? { type: 1, components: [b('approve', 'Approve & apply', STYLE.success), b('reject', 'Reject…', STYLE.danger)] }
    : { type: 1, components: [b('retry', 'Retry task', STYLE.primary)] };
}

/** Rejecting asks why (the agent reads the reason), in a dialog whose custom_id names the proposal. */
export function rejectModal(proposalId: string): InteractionResponse {
  const reason: TextInput = {
    type: 4,
    custom_id: REJECT_REASON_FIELD,
    style: 2,
    label: 'Why? The agent reads this to do better',
    min_length: 1,
    max_length: 2_000,
    required: true,
  };
  return { type: 9, data: { custom_id: encodeCustomId({ action: 'reject', id: proposalId }), title: `Reject ${proposalId}`, components: [{ type: 1, components: [reason] }] } };
}
