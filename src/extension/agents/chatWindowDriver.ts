/**
 * The chat-window driver: puts the prompt into the editor's chat and waits for the agent there to
 * report back through the board (`dreamos task done ... --token N --as <agent>` in a terminal).
 * VS Code: `workbench.action.chat.open` with the prompt as its query. Cursor (detected with
 * vscode.env.appName): its composer / chat commands take no query, so the command opens and
 * focuses the chat, and desktop automation pastes the prompt and sends it; without desktop
 * automation the prompt waits on the clipboard and the log says to paste it. Command ids are
 * configurable per agent. Where no command exists, desktop automation types into the window.
 *
 * While it waits, a chat that edits files in the task's folder is working, not stalled: each edit
 * is an activity event for the loop's stall watch.
 */
import path from 'node:path';
import type * as vscode from 'vscode';
import type { ChatWindowAgentConfig } from '../../core/loop/agentsConfig';
import { notAvailableDesktop, type AgentDriver, type AgentJob, type DesktopAutomation, type DriverIo, type DriverOutcome } from '../../core/loop/driver';

export type ChatApi = {
  env: Pick<typeof vscode.env, 'appName'> & { clipboard: Pick<typeof vscode.env.clipboard, 'writeText'> };
  commands: Pick<typeof vscode.commands, 'executeCommand' | 'getCommands'>;
  /** Edits the chat makes in open documents: its activity while the driver waits. */
  workspace?: Pick<typeof vscode.workspace, 'onDidChangeTextDocument'>;
};

/** The file an edit is in, relative to the task's folder; undefined when it is outside it (or not a file). */
export function editInside(cwd: string, uri: { scheme: string; fsPath: string }): string | undefined {
  if (uri.scheme !== 'file') return undefined;
  const rel = path.relative(cwd, uri.fsPath);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : undefined;
}

export type EditorFamily = 'vscode' | 'cursor';

/** Tried in order; the first one this editor has is used. */
export const DEFAULT_CHAT_COMMANDS: Record<EditorFamily, string[]> = {
  vscode: ['workbench.action.chat.open'],
  cursor: ['composer.startComposerPrompt', 'aichat.newchataction', 'workbench.action.chat.open'],
};

/** Commands known to take `{ query }` and send it. */
const QUERY_COMMANDS = new Set(['workbench.action.chat.open']);

export function editorFamily(appName: string): EditorFamily {
  return /cursor/i.test(appName) ? 'cursor' : 'vscode';
}

/** What a chat agent needs that a command agent gets from its environment. */
export function chatReportNote(job: AgentJob): string {
  return [
    '',
    '## How to report',
    `Use the dreamos_task_done / dreamos_task_fail / dreamos_ask_human tools if you have them (taskId ${job.taskId}, token ${job.leaseToken}, agentId ${job.agentId}), or run in a terminal in this workspace:`,
    `- done: dreamos task done ${job.taskId} --token ${job.leaseToken} --as ${job.agentId} --summary "what you did" --evidence test:"what proves it"`,
    `- failed: dreamos task fail ${job.taskId} --token ${job.leaseToken} --as ${job.agentId} --reason "why"`,
    `- a question: dreamos mail send --to human --from ${job.agentId} --subject "..." --body "..."`,
  ].join('\n');
}

export class ChatWindowDriver implements AgentDriver {
  readonly kind = 'chat-window' as const;

  constructor(
    private readonly api: ChatApi,
    private readonly cfg: ChatWindowAgentConfig,
    private readonly desktop: DesktopAutomation = notAvailableDesktop,
  ) {}

  async execute(job: AgentJob, signal: AbortSignal, io: DriverIo): Promise<DriverOutcome> {
    const t0 = Date.now();
    const done = (o: Omit<DriverOutcome, 'durationMs'>): DriverOutcome => ({ ...o, durationMs: Date.now() - t0 });
    const family = editorFamily(this.api.env.appName);
    const prompt = job.prompt + chatReportNote(job);
    const wanted = this.cfg.commands[family] ?? DEFAULT_CHAT_COMMANDS[family];
    const available = new Set(await this.api.commands.getCommands(true));
    const id = wanted.find((c) => available.has(c));
    if (id) {
      if (QUERY_COMMANDS.has(id)) await this.api.commands.executeCommand(id, { query: prompt, isPartialQuery: false });
      else {
        // The command opens and focuses the chat but takes no text: paste the prompt there and send it.
        await this.api.env.clipboard.writeText(prompt);
        await this.api.commands.executeCommand(id);
        const sent = this.desktop.sendToAgent ? await this.desktop.sendToAgent(job.agentName, prompt, signal) : await this.desktop.sendToWindow(this.cfg.windowTitle ?? this.api.env.appName, prompt, signal);
        if (sent.ok) io.note(`${this.api.env.appName}: opened ${id}, pasted the prompt and sent it`);
        else io.note(`${this.api.env.appName}: opened ${id}; the prompt is on the clipboard — paste it into the chat and press Enter (${sent.reason})`);
      }
      io.note(`prompt sent to the ${this.api.env.appName} chat with ${id}; waiting for the agent to report through the board`);
    } else {
      const sent = this.desktop.sendToAgent
        ? await this.desktop.sendToAgent(job.agentName, prompt, signal)
        : await this.desktop.sendToWindow(this.cfg.windowTitle ?? this.api.env.appName, prompt, signal);
      if (!sent.ok) {
        // A layout change (recalibrate) needs the person; nothing was typed, so a retry is safe too.
        const what = sent.recalibrate ? ' Run "Dream.OS: Calibrate Agent Window" for this agent.' : '';
        return done({ status: 'unavailable', message: `${this.api.env.appName} has none of the chat commands ${wanted.join(', ')}. ${sent.reason}${what}`, tail: '' });
      }
      io.note('prompt typed into the chat window by desktop automation; waiting for the report');
    }
    io.output(`${prompt}\n`);
    const wait = new AbortController();
    const stop = () => wait.abort();
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(stop, job.timeoutMs);
    // A chat that edits files in the task's folder is working: each edit (at most one a second) tells the stall watch.
    let lastEdit = 0;
    const edits = this.api.workspace?.onDidChangeTextDocument((e) => {
      const file = e.contentChanges.length ? editInside(job.cwd, e.document.uri) : undefined;
      if (!file || Date.now() - lastEdit < 1_000) return;
      lastEdit = Date.now();
      io.event?.({ t: 'edit', file: file.slice(0, 1_000) });
    });
    try {
      const status = await io.waitForReport(wait.signal);
      return done({ status: 'reported', reportedStatus: status, tail: '' });
    } catch {
      return done({ status: signal.aborted ? 'aborted' : 'timeout', tail: '' });
    } finally {
      edits?.dispose();
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}
