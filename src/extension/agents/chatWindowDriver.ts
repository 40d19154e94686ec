/**
 * The chat-window driver: puts the prompt into the editor's chat and waits for the agent there to
 * report back through the board (`dreamos task done ... --token N --as <agent>` in a terminal).
 * VS Code: `workbench.action.chat.open` with the prompt as its query. Cursor (detected with
 * vscode.env.appName): its composer / chat commands, which take no query, so the prompt goes on
 * the clipboard first. Command ids are configurable per agent. Where no command exists, the
 * desktop-automation port is asked; until that ships it answers "not available", and so does this.
 */
import type * as vscode from 'vscode';
import type { ChatWindowAgentConfig } from '../../core/loop/config';
import { notAvailableDesktop, type AgentDriver, type AgentJob, type DesktopAutomation, type DriverIo, type DriverOutcome } from '../../core/loop/driver';

export type ChatApi = {
  env: Pick<typeof vscode.env, 'appName'> & { clipboard: Pick<typeof vscode.env.clipboard, 'writeText'> };
  commands: Pick<typeof vscode.commands, 'executeCommand' | 'getCommands'>;
};

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
        await this.api.env.clipboard.writeText(prompt);
        await this.api.commands.executeCommand(id);
        io.note(`${this.api.env.appName}: opened ${id}; the prompt is on the clipboard (this command takes no text)`);
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
    try {
      const status = await io.waitForReport(wait.signal);
      return done({ status: 'reported', reportedStatus: status, tail: '' });
    } catch {
      return done({ status: signal.aborted ? 'aborted' : 'timeout', tail: '' });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}
