/**
 * The dashboard's protocol, shared by the extension host, the webview and (later) browser clients
 * of the hub. Every message is a named type with a zod schema; the host checks each message from
 * the webview against it before acting. The webview imports types only (and the schemas, which are
 * small), never host code.
 */
import { z } from 'zod';
import type { Agent, Task } from '../core/board/model';
import type { BoardEvent } from '../core/events/events';

const TaskId = z.string().regex(/^tsk_[0-9a-f]{12}$/);

export const DashboardAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('task.done'), taskId: TaskId, summary: z.string().trim().min(1).max(2_000) }).strict(),
  z.object({ action: z.literal('task.cancel'), taskId: TaskId }).strict(),
  z.object({ action: z.literal('task.retry'), taskId: TaskId }).strict(),
  z.object({ action: z.literal('task.create'), title: z.string().trim().min(1).max(200), priority: z.enum(['low', 'normal', 'high', 'critical']) }).strict(),
]);
export type DashboardAction = z.infer<typeof DashboardAction>;

export const WebviewToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('request'), requestId: z.number().int().nonnegative(), request: DashboardAction }).strict(),
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;

export interface DashboardState {
  boardDir: string;
  role: 'hub' | 'client' | 'closed';
  tasks: Task[];
  agents: Agent[];
  latestSeq: number;
}

export type HostToWebview =
  | { type: 'state'; state: DashboardState }
  | { type: 'events'; events: BoardEvent[] }
  | { type: 'response'; requestId: number; ok: true }
  | { type: 'response'; requestId: number; ok: false; error: string };
