/**
 * The dashboard's five columns and the statuses each one shows. Shared by the dashboard UI and the
 * editor's panel host, which turns "dropped on column i" into a status (src/extension/dashboard);
 * types only, so the webview bundle takes it as it is.
 */
import type { TaskStatus } from '../core/board/boardModel';

export interface ColumnDef {
  title: string;
  statuses: readonly TaskStatus[];
  /** Finished work reads newest first; open work by urgency, then age (the board's claim order). */
  order: 'urgency' | 'recent';
}

export const COLUMNS: readonly ColumnDef[] = [
  { title: 'Ready', statuses: ['ready', 'waiting'], order: 'urgency' },
  { title: 'In progress', statuses: ['claimed', 'running'], order: 'urgency' },
  { title: 'Review', statuses: ['review'], order: 'urgency' },
  { title: 'Needs attention', statuses: ['blocked', 'failed'], order: 'recent' },
  { title: 'Done', statuses: ['done', 'cancelled'], order: 'recent' },
];

/** What dropping a task of some status on a column would do: the action's label, or why not. */
export type DropRule = { ok: true; label: string } | { ok: false; why: string };
/** For each status, one rule per column (same order as COLUMNS). Made by the host from its action table. */
export type DropRules = Partial<Record<TaskStatus, DropRule[]>>;
