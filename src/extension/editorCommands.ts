import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { canDo, commandForAction } from '../core/board/actions';
import type { Agent, Message, Task } from '../core/board/boardModel';
import { DreamError } from '../core/errors';
import { plural } from '../protocol/names';
import { bulkTaskCommand, confirmDestructive, selectedTasks } from './views/taskBulk';
import type { BoardSession } from './boardSession';
import type { DiscordConnection } from './discordConnection';
import type { SwarmControl } from './swarmControl';
import type { DesktopOrchestrator } from '../integrations/desktop';
import type { ReviewContext } from './proposals/review';
import type { ProposalNode } from './proposals/proposalsView';
import { askNewTask, type CreateTaskArgs } from './createTask';
import { showFailure } from './failures';
import { prompts } from './prompts';
import { openNeedsYouMessage } from './views/needsYouActions';

/*
 * What a command runs (proposal review, the dashboard panel, desktop calibration) loads when the
 * command first runs: activation registers the commands only.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- modules of this bundle, evaluated on first use */
type Review = typeof import('./proposals/review');
const review = (): Review => require('./proposals/review') as Review;
const approve: Review['approve'] = (...a) => review().approve(...a);
const checkAgain: Review['checkAgain'] = (...a) => review().checkAgain(...a);
const nextFile: Review['nextFile'] = (...a) => review().nextFile(...a);
const openProposalFile: Review['openProposalFile'] = (...a) => review().openProposalFile(...a);
const openProposalChanges: Review['openProposalChanges'] = (...a) => review().openProposalChanges(...a);
const worktreeCommands = () => require('./worktrees/worktreeActions') as typeof import('./worktrees/worktreeActions');
const reject: Review['reject'] = (...a) => review().reject(...a);
const resolveProposal: Review['resolveProposal'] = (...a) => review().resolveProposal(...a);
const rollback: Review['rollback'] = (...a) => review().rollback(...a);
const DashboardPanel = { show: (...a: Parameters<typeof import('./dashboard/dashboardPanel')['DashboardPanel']['show']>) => (require('./dashboard/dashboardPanel') as typeof import('./dashboard/dashboardPanel')).DashboardPanel.show(...a) };
const TaskDetailsPanel = { show: (...a: Parameters<typeof import('./details/taskDetailsPanel')['TaskDetailsPanel']['show']>) => (require('./details/taskDetailsPanel') as typeof import('./details/taskDetailsPanel')).TaskDetailsPanel.show(...a) };
const addAgentFlow: typeof import('./agents/addAgent')['addAgentFlow'] = (...a) => (require('./agents/addAgent') as typeof import('./agents/addAgent')).addAgentFlow(...a);
const confirmCapture: typeof import('../integrations/desktop')['confirmCapture'] = (...a) => (require('../integrations/desktop/calibrate') as typeof import('../integrations/desktop/calibrate')).confirmCapture(...a);
const apiServer = () => require('./api/apiServer') as typeof import('./api/apiServer');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface CommandContext {
  readonly extensionUri: vscode.Uri;
  readonly session: BoardSession;
  readonly log: vscode.LogOutputChannel;
  /** The Tasks tree's filter; the dashboard's search box shares it. */
  readonly tasksView: { filter: string; setFilter(text: string): void; onDidChangeFilter?: vscode.Event<string> };
  readonly review: ReviewContext;
  readonly discord: DiscordConnection;
  readonly swarm: SwarmControl;
  readonly desktop: DesktopOrchestrator;
}

type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => Promise<unknown>;

/** Task commands take a tree node (context menu), a task (dashboard) or a task id (scripts, tests). */
function taskIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object') {
    const a = arg as { kind?: string; task?: Task; id?: string };
    // A task node, or a Needs You message about a task.
    if ((a.kind === 'task' || a.kind === 'message') && a.task) return a.task.id;
    if (typeof a.id === 'string') return a.id;
  }
  return undefined;
}

async function pickTask(ctx: CommandContext, arg: unknown, placeHolder: string, filter: (t: Task) => boolean): Promise<string | undefined> {
  const id = taskIdOf(arg);
  if (id) return id;
  await ctx.session.open();
  const items = ctx.session.current.tasks.filter(filter).map((t) => ({ label: t.title, description: `${t.status} · ${t.id}`, id: t.id }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Dream.OS: no task fits. Create one with "Dream.OS: Create Task".');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.id;
}

function agentIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object') {
    const a = arg as { kind?: string; agent?: Agent; id?: string };
    if (a.kind === 'agent' && a.agent) return a.agent.id;
    if (typeof a.id === 'string') return a.id;
  }
  return undefined;
}

/** The command table: one small handler per command declared in package.json. */
export const COMMANDS: Record<string, CommandHandler> = {
  'dreamos.api.start': async (ctx, arg) => apiServer().startApiServer(ctx.extensionUri, ctx.session, ctx.log, arg),
  'dreamos.api.stop': async (_ctx, arg) => apiServer().stopApiServer(arg),
  'dreamos.token.create': async (ctx, arg) => apiServer().createToken(ctx.session, arg),
  'dreamos.token.list': async (ctx) => apiServer().listTokens(ctx.session),
  'dreamos.token.revoke': async (ctx, arg) => apiServer().revokeToken(ctx.session, arg),

  'dreamos.initBoard': async (ctx) => {
    await ctx.session.open();
    void vscode.window.showInformationMessage(`Dream.OS board ready in ${ctx.session.boardDir}.`);
  },

  'dreamos.createTask': async (ctx, arg) => {
    // The board first: with no folder open this fails here, with Open Folder, before any question.
    await ctx.session.open();
    const add = await askNewTask((arg && typeof arg === 'object' ? arg : {}) as CreateTaskArgs, ctx.session.current.tasks);
    if (!add) return undefined;
    const task = await ctx.session.call(add);
    void prompts.message('info', `Dream.OS: created task "${task.title}" (${task.status}).`);
    return task;
  },

  'dreamos.showBoardInfo': async (ctx) => {
    const info = await ctx.session.call({ type: 'board.info' });
    const parts = Object.entries(info.byStatus).map(([s, n]) => `${n} ${s}`);
    const text = `Dream.OS board ${vscode.Uri.file(ctx.session.boardDir).fsPath}: ${plural(info.tasks, 'task')}${parts.length ? ` (${parts.join(', ')})` : ''}, ${plural(info.agents, 'agent')}. This window is the ${ctx.session.role}.`;
    void vscode.window.showInformationMessage(text);
    return info;
  },

  'dreamos.openDashboard': async (ctx) => {
    DashboardPanel.show(ctx.extensionUri, ctx.session, ctx.log, ctx.tasksView);
  },

  // One concept of an agent: an entry in agents.json the swarm runs (Register Agent made a board identity no swarm could run).
  'dreamos.addAgent': async (ctx, arg) => addAgentFlow(ctx.session.boardDir, arg, ctx.log),

  'dreamos.importTasks': async (ctx, arg) => {
    const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Task list': ['json'] }, title: 'Import tasks' }))?.[0];
    if (!uri) return undefined;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Dream.OS: importing tasks…' }, async () => {
      let file: unknown;
      try {
        file = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
      } catch (err) {
        throw new DreamError('invalid_input', `${uri.fsPath} is not valid JSON (${(err as Error).message}). Nothing was imported.`);
      }
      const r = await ctx.session.call({ type: 'board.import', file });
      void vscode.window.showInformationMessage(`Dream.OS: imported ${plural(r.created.length, 'task')} from ${vscode.workspace.asRelativePath(uri)}.`);
      return r;
    });
  },

  'dreamos.exportBoard': async (ctx, arg) => {
    const uri = arg instanceof vscode.Uri ? arg : await vscode.window.showSaveDialog({ filters: { JSON: ['json'] }, title: 'Export the board', saveLabel: 'Export' });
    if (!uri) return undefined;
    const data = await ctx.session.call({ type: 'board.export' });
    await fs.writeFile(uri.fsPath, JSON.stringify(data, null, 2));
    void vscode.window.showInformationMessage(`Dream.OS: exported the board to ${vscode.workspace.asRelativePath(uri)}.`);
    return uri;
  },

  'dreamos.refresh': async (ctx) => {
    await ctx.session.open();
    await ctx.session.reload();
  },

  'dreamos.showEventLog': async (ctx) => {
    ctx.log.show(true);
  },

  // Tree menus pass (clicked item, selected items): with several tasks selected, each command acts on all (views/taskBulk).
  'dreamos.task.done': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'done', many);
    const id = await pickTask(ctx, arg, 'Which task is done?', (t) => canDo('done', t.status));
    if (!id) return undefined;
    const summary = typeof arg === 'string' ? 'Marked done in the editor' : await vscode.window.showInputBox({ prompt: 'What was done? (kept as the result summary)', value: 'Done by hand', validateInput: (v) => (v.trim() ? undefined : 'Say in a few words what was done.') });
    if (!summary) return undefined;
    return ctx.session.call({ type: 'task.done', taskId: id, summary });
  },
  'dreamos.task.cancel': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'cancel', many);
    const id = await pickTask(ctx, arg, 'Cancel which task?', (t) => canDo('cancel', t.status));
    if (!id) return undefined;
    // A person (tree, palette) confirms and is told; a script passing an id is not asked.
    const byPerson = typeof arg !== 'string';
    const task = ctx.session.current.tasks.find((t) => t.id === id);
    if (byPerson && task && !(await confirmDestructive('cancel', [task]))) return undefined;
    const done = await ctx.session.call({ type: 'task.cancel', taskId: id, reason: 'cancelled in the editor' });
    if (byPerson) void vscode.window.showInformationMessage(`Dream.OS: cancelled “${done.title}”.`);
    return done;
  },
  'dreamos.task.block': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'block', many);
    const id = await pickTask(ctx, arg, 'Block which task?', (t) => canDo('block', t.status));
    if (!id) return undefined;
    const reason = typeof arg === 'string' ? 'blocked in the editor' : await vscode.window.showInputBox({ prompt: 'What blocks it?', validateInput: (v) => (v.trim() ? undefined : 'Say what blocks the task.') });
    return reason && ctx.session.call({ type: 'task.block', taskId: id, reason });
  },
  'dreamos.task.retry': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'retry', many);
    const id = await pickTask(ctx, arg, 'Retry which task?', (t) => canDo('retry', t.status));
    const task = id ? ctx.session.current.tasks.find((t) => t.id === id) : undefined;
    // Unblock, retry or reopen, as the task's status asks (core/board/actions).
    return id && ctx.session.call(task ? commandForAction('retry', task, 'retried in the editor') : { type: 'task.retry', taskId: id, reason: 'retried in the editor' });
  },
  'dreamos.task.release': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'release', many);
    const id = await pickTask(ctx, arg, 'Release which task back to ready?', (t) => canDo('release', t.status));
    return id && ctx.session.call({ type: 'task.release', taskId: id, reason: 'released in the editor' });
  },
  'dreamos.task.show': async (ctx, arg) => {
    const id = await pickTask(ctx, arg, 'Show which task?', () => true);
    if (!id) return undefined;
    const details = await ctx.session.call({ type: 'task.show', taskId: id });
    // A read-only details tab (the dashboard's details pane), one reused like a preview editor.
    TaskDetailsPanel.show(ctx.extensionUri, ctx.session, ctx.log, id);
    return details;
  },
  'dreamos.task.copyId': async (_ctx, arg) => {
    const id = taskIdOf(arg);
    if (id) await vscode.env.clipboard.writeText(id);
    return id;
  },
  'dreamos.task.assign': async (ctx, arg, selected) => {
    const many = selectedTasks(ctx.session, arg, selected);
    if (many) return bulkTaskCommand(ctx.session, 'assign', many);
    const id = await pickTask(ctx, arg, 'Reassign which task?', (t) => canDo('assign', t.status));
    if (!id) return undefined;
    const agents = ctx.session.current.agents.filter((a) => a.status !== 'retired');
    const pick = await vscode.window.showQuickPick([{ label: '$(circle-slash) Anyone', id: null as string | null }, ...agents.map((a) => ({ label: a.name, description: a.status, id: a.id as string | null }))], {
      placeHolder: 'Which agent should take it?',
    });
    if (!pick) return undefined;
    return ctx.session.call({ type: 'task.assign', taskId: id, agentId: pick.id });
  },
  'dreamos.tasks.filter': async (ctx) => {
    // The same query as the dashboard's search box (src/protocol/taskFilter), and shared with it.
    const text = await vscode.window.showInputBox({ title: 'Filter tasks (the dashboard follows)', prompt: 'Words in the title, or tag:x owner:name status:ready — e.g. "tag:ui owner:claude parser". Empty shows all.', placeHolder: 'tag:ui owner:claude-1 status:ready login', value: ctx.tasksView.filter });
    if (text !== undefined) ctx.tasksView.setFilter(text);
  },
  'dreamos.tasks.clearFilter': async (ctx) => {
    ctx.tasksView.setFilter('');
  },
  'dreamos.inbox.reply': async (ctx, arg) => {
    const m = (arg as { message?: Message } | undefined)?.message;
    if (!m) return undefined;
    const body = await vscode.window.showInputBox({ title: `Reply to "${m.subject}"`, prompt: m.body.slice(0, 300) || undefined, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Write a reply, or press Escape.') });
    if (body === undefined) return undefined;
    await ctx.session.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: m.from }, subject: `Re: ${m.subject}`.slice(0, 200), body, replyTo: m.id });
    return ctx.session.call({ type: 'mail.ack', messageId: m.id, recipient: 'human' });
  },
  'dreamos.inbox.open': async (_ctx, arg) => openNeedsYouMessage(arg),
  'dreamos.inbox.ack': async (ctx, arg) => {
    const m = (arg as { message?: Message } | undefined)?.message;
    return m && ctx.session.call({ type: 'mail.ack', messageId: m.id, recipient: 'human' });
  },
  'dreamos.agent.message': async (ctx, arg) => {
    const id = agentIdOf(arg) ?? (await vscode.window.showQuickPick(ctx.session.current.agents.map((a) => ({ label: a.name, id: a.id })), { placeHolder: 'Message which agent?' }))?.id;
    if (!id) return undefined;
    const subject = await vscode.window.showInputBox({ title: 'Message (1/2)', prompt: 'Subject', validateInput: (v) => (v.trim() ? undefined : 'A message needs a subject.') });
    if (subject === undefined) return undefined;
    const body = await vscode.window.showInputBox({ title: 'Message (2/2)', prompt: 'Body (optional)', ignoreFocusOut: true });
    if (body === undefined) return undefined;
    return ctx.session.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id }, subject, body });
  },
  'dreamos.proposal.review': async (ctx, arg) => {
    const p = await resolveProposal(ctx.review, arg);
    if (p?.files[0]) await openProposalFile(ctx.review, p, p.files[0].path);
    return p;
  },
  'dreamos.proposal.openChanges': async (ctx, arg) => openProposalChanges(ctx.review, arg),
  'dreamos.worktree.open': async (ctx, arg) => worktreeCommands().openWorktree(ctx.session, arg),
  'dreamos.worktree.discard': async (ctx, arg, opts) => worktreeCommands().discardWorktree(ctx.session, arg, (opts ?? {}) as { confirm?: boolean }),
  'dreamos.worktree.restore': async (ctx, arg) => worktreeCommands().restoreWorktree(ctx.session, arg),
  'dreamos.proposal.openFile': async (ctx, arg) => {
    const n = arg as ProposalNode | undefined;
    if (n?.kind === 'file') await openProposalFile(ctx.review, n.proposal, n.file.path);
  },
  'dreamos.proposal.approve': async (ctx, arg, opts) => approve(ctx.review, arg, (opts ?? {}) as { override?: boolean; confirm?: boolean }),
  'dreamos.proposal.reject': async (ctx, arg, reason) => reject(ctx.review, arg, typeof reason === 'string' ? reason : undefined),
  'dreamos.proposal.checkAgain': async (ctx, arg) => checkAgain(ctx.review, arg),
  'dreamos.proposal.nextFile': async (ctx, arg) => nextFile(ctx.review, arg),
  'dreamos.proposal.rollback': async (ctx, arg) => rollback(ctx.review, arg),
  'dreamos.swarm.start': async (ctx) => {
    if (!vscode.workspace.isTrusted) throw new DreamError('unavailable', 'This workspace is not trusted, so Dream.OS runs no agents here. Trust the workspace (Manage Workspace Trust) to start the swarm.');
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Dream.OS: starting the swarm…' }, () => ctx.swarm.start());
  },
  'dreamos.swarm.stop': async (ctx) => {
    const here = ctx.swarm.running;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Dream.OS: stopping the swarm and releasing its tasks…' }, () => ctx.swarm.stop());
    // Feedback either way: this window's swarm stopped, or the board's swarm (elsewhere) was asked to stop.
    void vscode.window.showInformationMessage(here ? 'Dream.OS: the swarm stopped; the tasks it held went back to ready.' : 'Dream.OS: asked the board\'s swarm to stop; wherever it runs, it stops its agents and gives their tasks back.');
  },
  'dreamos.swarm.status': async (ctx) => ctx.swarm.status(),
  'dreamos.desktop.calibrate': async (ctx, arg) => {
    const name = (arg && typeof arg === 'object' && typeof (arg as Agent).name === 'string' ? (arg as Agent).name : undefined) ??
      (await vscode.window.showQuickPick(ctx.session.current.agents.filter((a) => a.driver === 'chat-window').map((a) => a.name), { placeHolder: 'Calibrate which chat-window agent?' })) ??
      (await vscode.window.showInputBox({ prompt: 'Agent name (as in .dreamos/agents.json)' }));
    if (!name) return undefined;
    const titlePattern = await vscode.window.showInputBox({ title: `Calibrate ${name} (1/2)`, prompt: 'Text in the title of the agent\'s editor window (e.g. its workspace name)', validateInput: (v) => (v.trim() ? undefined : 'Give part of the window title.') });
    if (!titlePattern) return undefined;
    const send = await vscode.window.showQuickPick(['enter', 'ctrl+enter', 'cmd+enter'], { title: `Calibrate ${name} (2/2)`, placeHolder: 'Which key sends a chat message in that window?' });
    if (!send) return undefined;
    const r = await ctx.desktop.calibrate(name, {
      titlePattern,
      sendChord: send,
      capture: confirmCapture(async (w) => (await vscode.window.showInformationMessage(`Move the pointer onto the chat input of "${w.title}" (don't click), then press Enter here.`, { modal: true }, 'Capture')) === 'Capture'),
      choose: async (ws) => (await vscode.window.showQuickPick(ws.map((w) => ({ label: w.title, w })), { title: 'Several windows match' }))?.w,
    });
    if (!r.ok) throw new DreamError('invalid_input', r.message);
    void vscode.window.showInformationMessage(`Dream.OS: ${name}'s chat input is calibrated${r.fingerprinted ? '' : ' (no pixel fingerprint on this display)'}.`);
    return r;
  },
  'dreamos.desktop.recheck': async (ctx, arg) => {
    const name = typeof arg === 'string' ? arg : await vscode.window.showInputBox({ prompt: 'Re-check which agent\'s window?' });
    if (!name) return undefined;
    const r = await ctx.desktop.recheck(name, { adoptMoved: true });
    void vscode.window.showInformationMessage(`Dream.OS: ${name}: ${JSON.stringify(r)}`);
    return r;
  },
  'dreamos.desktop.arrange': async (ctx) => {
    const names = ctx.session.current.agents.filter((a) => a.driver === 'chat-window').map((a) => a.name);
    if (names.length === 0) {
      void vscode.window.showInformationMessage('Dream.OS: no chat-window agents to arrange.');
      return undefined;
    }
    const placed = await ctx.desktop.arrange(names);
    void vscode.window.showInformationMessage(`Dream.OS arranged ${placed.length} agent window(s) in a grid. Re-check calibrations afterwards.`);
    return placed;
  },
  'dreamos.discord.setToken': async (ctx) => ctx.discord.setToken(),
  'dreamos.discord.connect': async (ctx) => {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Dream.OS: connecting Discord…' }, () => ctx.discord.connect());
  },
  'dreamos.discord.disconnect': async (ctx) => ctx.discord.disconnect(),
  // Start/stop the agent's loop (core controlAgent): in this window's swarm, or where the board's swarm runs, or say what to do.
  'dreamos.agent.start': async (ctx, arg) => {
    const id = agentIdOf(arg);
    if (!id) return undefined;
    const r = await ctx.swarm.agent(id, 'running');
    void vscode.window.showInformationMessage(`Dream.OS: ${r.message}`);
    return r;
  },
  'dreamos.agent.stop': async (ctx, arg) => {
    const id = agentIdOf(arg);
    if (!id) return undefined;
    const r = await ctx.swarm.agent(id, 'stopped');
    void vscode.window.showInformationMessage(`Dream.OS: ${r.message}`);
    return r;
  },
};

export interface CommandFailure {
  command: string;
  code: string;
  message: string;
  at: number;
}

/**
 * The commands' failures, newest last (bounded). The error boundary turns a failure into a message
 * for the person and an undefined result; this record is how a caller that is not a person (the
 * extension-host tests, another extension) tells "failed" from "nothing to do".
 */
export class CommandFailures {
  private readonly list: CommandFailure[] = [];
  record(f: CommandFailure): void {
    this.list.push(f);
    if (this.list.length > 100) this.list.shift();
  }
  since(at: number): CommandFailure[] {
    return this.list.filter((f) => f.at >= at);
  }
}

/** Registers every command with one error boundary: a failure becomes a message saying what to do. */
export function registerCommands(ctx: CommandContext, failures?: CommandFailures): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(ctx, ...args);
      } catch (err) {
        const e = DreamError.from(err);
        failures?.record({ command: id, code: e.code, message: e.message, at: Date.now() });
        ctx.log.error(`${id} failed: ${e.code}: ${e.message}`);
        void showFailure(e, ctx.log);
        return undefined;
      }
    }),
  );
}
