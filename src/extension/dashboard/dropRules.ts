/**
 * Drag and drop on the dashboard, from the one action table (src/core/board/actions, itself made
 * from the transition table): dropping a card on a column does the action that moves a task of its
 * status to one of that column's statuses — the same action a drop in the Tasks tree does — or is
 * refused with the reason. No rule of its own: the UI gets this table and only shows it.
 */
import { actionLabel, actionTo } from '../../core/board/actions';
import type { TaskStatus } from '../../core/board/boardModel';
import { COLUMNS, type DropRule, type DropRules } from '../../protocol/boardColumns';

const STATUSES: readonly TaskStatus[] = COLUMNS.flatMap((c) => c.statuses);

/** The status a task of `from` goes to when dropped on column `column`, with the action's label; undefined if none. */
export function dropTarget(from: TaskStatus, column: number): { to: TaskStatus; label: string } | undefined {
  const col = COLUMNS[column];
  if (!col || col.statuses.includes(from)) return undefined;
  for (const to of col.statuses) {
    const action = actionTo(from, to);
    if (action) return { to, label: actionLabel(action, from) };
  }
  return undefined;
}

function rule(from: TaskStatus, column: number): DropRule {
  const col = COLUMNS[column]!;
  const target = dropTarget(from, column);
  if (target) return { ok: true, label: `${target.label} (to ${target.to})` };
  if (col.statuses.includes(from)) return { ok: false, why: `It is in ${col.title} already.` };
  const elsewhere = COLUMNS.flatMap((c, i) => {
    const t = dropTarget(from, i);
    return t ? [`${t.label} → ${c.title}`] : [];
  });
  const who = col.statuses.some((s) => s === 'claimed' || s === 'running' || s === 'review') ? ' Agents move tasks there: they claim ready tasks and hand their work in for review.' : '';
  return { ok: false, why: `A ${from} task cannot be moved to ${col.title}.${who} ${elsewhere.length ? `From ${from}: ${elsewhere.join(', ')}.` : `Nothing moves a ${from} task by drag and drop.`}` };
}

/** The whole table the dashboard needs: for each status, one rule per column. */
export function dropRules(): DropRules {
  return Object.fromEntries(STATUSES.map((s) => [s, COLUMNS.map((_c, i) => rule(s, i))]));
}
