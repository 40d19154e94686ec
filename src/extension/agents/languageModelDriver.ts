/**
 * The language-model driver: carries out a task with the editor's language-model API
 * (`vscode.lm`, where the editor provides a model) and the tools of lmTools.ts: read, list, write
 * and edit files of the task's working tree (its worktree when it has one, never outside it), run
 * the agent's checks, ask the person, report. Its report (summary + evidence) is the outcome,
 * checked by the loop like any other; what it did (tool calls, edits, tokens counted with the
 * model's own tokenizer) goes to the run's transcript. Where the editor has no model, it says so
 * and the loop hands the task on.
 *
 * The vscode API comes in as a parameter (feature-detected: engines ^1.96 has `lm`, but a given
 * editor, Cursor or code-server, may have no model behind it).
 */
import type * as vscode from 'vscode';
import type { LanguageModelAgentConfig } from '../../core/loop/agentsConfig';
import type { AgentDriver, AgentJob, CheckRunner, DriverIo, DriverOutcome } from '../../core/loop/driver';
import type { BoardPort } from '../../core/port';
import { AgentResult } from '../../core/loop/watch';
import { LM_TOOLS, runLmTool, type LmToolContext } from './lmTools';

export { LM_TOOLS, runLmTool } from './lmTools';

/** The part of the vscode API this driver uses. */
export type LmApi = Pick<typeof vscode, 'LanguageModelChatMessage' | 'LanguageModelTextPart' | 'LanguageModelToolCallPart' | 'LanguageModelToolResultPart' | 'CancellationTokenSource'> & {
  lm?: Pick<typeof vscode.lm, 'selectChatModels'>;
};

/** What the driver reaches besides the model: the board (to ask the person) and the check runner. */
export interface LmDriverServices {
  board?: BoardPort;
  checks?: CheckRunner;
}

export class LanguageModelDriver implements AgentDriver {
  readonly kind = 'language-model' as const;

  constructor(
    private readonly api: LmApi,
    private readonly cfg: LanguageModelAgentConfig,
    private readonly services: LmDriverServices = {},
  ) {}

  /** The person is asked through the board: a high-priority message, and the task blocked on the answer. */
  private async ask(job: AgentJob, question: string): Promise<void> {
    const board = this.services.board;
    if (!board) throw new Error('no board to ask through');
    const subject = `${job.agentName} asks about task ${job.taskId}`;
    await board.call({ type: 'mail.send', from: job.agentId, to: { kind: 'human' }, subject, body: question, priority: 'high', requiresAck: true, taskId: job.taskId }, { actor: job.agentId });
    await board.call({ type: 'task.block', taskId: job.taskId, token: job.leaseToken, reason: `waiting for the person's answer: ${question.slice(0, 1_500)}` }, { actor: job.agentId });
  }

  async execute(job: AgentJob, signal: AbortSignal, io: DriverIo): Promise<DriverOutcome> {
    const t0 = Date.now();
    const result = (o: Omit<DriverOutcome, 'durationMs'>): DriverOutcome => ({ ...o, durationMs: Date.now() - t0 });
    const { api } = this;
    if (!api.lm?.selectChatModels) {
      return result({ status: 'unavailable', message: 'This editor has no language-model API (vscode.lm). Use a command or chat-window agent here.', tail: '' });
    }
    const selector = Object.fromEntries(Object.entries(this.cfg.model).filter(([, v]) => v !== undefined));
    const models = await api.lm.selectChatModels(selector);
    const model = models[0];
    if (!model) {
      return result({
        status: 'unavailable',
        message: `No language model in this editor matches ${JSON.stringify(selector)}. Sign in to a model provider (e.g. GitHub Copilot), or change "model" of ${job.agentName} in agents.json.`,
        tail: '',
      });
    }
    io.note(`using ${model.vendor}/${model.family} (${model.id})`);
    const cts = new api.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const messages: vscode.LanguageModelChatMessage[] = [
      api.LanguageModelChatMessage.User(
        `${job.prompt}\n\nYou work through tools, in the task's working tree only: dreamos_read_file and dreamos_list_files to look, dreamos_write_file and dreamos_edit_file to change files, dreamos_run_checks to run your checks, dreamos_ask_person when you need the person, and dreamos_report to finish with a summary and evidence.`,
      ),
    ];
    let tail = '';
    let asked = false;
    const ctx: LmToolContext = {
      root: job.cwd,
      ...(this.services.checks ? { checks: { runner: this.services.checks, specs: this.cfg.checks, signal } } : {}),
      ...(this.services.board ? { ask: async (q: string) => { await this.ask(job, q); asked = true; } } : {}),
      edited: (file) => io.event?.({ t: 'edit', file }),
    };
    const count = async (text: string): Promise<number> => {
      if (!text || typeof (model as Partial<vscode.LanguageModelChat>).countTokens !== 'function') return 0;
      try {
        return await model.countTokens(text, cts.token);
      } catch {
        return 0;
      }
    };
    try {
      for (let turn = 0; turn < this.cfg.maxTurns; turn++) {
        if (signal.aborted) return result({ status: 'aborted', tail });
        const response = await model.sendRequest(messages, { tools: LM_TOOLS, justification: `Dream.OS agent ${job.agentName} is working on task ${job.taskId}.` }, cts.token);
        let text = '';
        const calls: vscode.LanguageModelToolCallPart[] = [];
        for await (const part of response.stream) {
          if (part instanceof api.LanguageModelTextPart) {
            text += part.value;
            io.output(part.value);
          } else if (part instanceof api.LanguageModelToolCallPart) calls.push(part);
        }
        tail = (tail + text).slice(-16_000);
        if (text) io.event?.({ t: 'message', text: text.slice(0, 4_000) });
        // The LM API reports no usage: count with the model's own tokenizer, shown as an estimate.
        const sent = await count(messages.map(textOf).join('\n'));
        const got = await count(text + calls.map((c) => JSON.stringify(c.input ?? {})).join(''));
        if (sent || got) io.event?.({ t: 'usage', tokens: { input: sent, output: got, cached: 0 }, estimated: true, cumulative: false });
        if (calls.length === 0) {
          // It stopped talking without reporting: the loop judges that like an agent that exits 0 with no evidence.
          return result({ status: 'exited', exitCode: 0, signal: null, tail });
        }
        messages.push(api.LanguageModelChatMessage.Assistant([...(text ? [new api.LanguageModelTextPart(text)] : []), ...calls]));
        const results: vscode.LanguageModelToolResultPart[] = [];
        for (const call of calls) {
          const input = (call.input ?? {}) as Record<string, unknown>;
          io.note(`tool ${call.name} ${JSON.stringify(input).slice(0, 200)}`);
          io.event?.({ t: 'tool', name: call.name, id: call.callId.slice(0, 200), ...(typeof input.path === 'string' ? { target: input.path.slice(0, 1_000) } : {}) });
          if (call.name === 'dreamos_report') {
            const parsed = AgentResult.safeParse(input);
            if (parsed.success) return result({ status: 'exited', exitCode: 0, signal: null, tail, result: parsed.data });
            results.push(new api.LanguageModelToolResultPart(call.callId, [new api.LanguageModelTextPart(`The report is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Call dreamos_report again.`)]));
            continue;
          }
          const answer = await runLmTool(ctx, call.name, input);
          io.event?.({ t: 'tool_done', id: call.callId.slice(0, 200), ok: !answer.startsWith('Error: '), ...(answer.startsWith('Error: ') ? { detail: answer.slice(0, 1_000) } : {}) });
          results.push(new api.LanguageModelToolResultPart(call.callId, [new api.LanguageModelTextPart(answer)]));
        }
        // It asked the person: the task is blocked on the answer, and the run ends here.
        if (asked) return result({ status: 'reported', reportedStatus: 'blocked', tail });
        messages.push(api.LanguageModelChatMessage.User(results));
      }
      return result({ status: 'exited', exitCode: 1, signal: null, tail: `${tail}\n${job.agentName} used all ${this.cfg.maxTurns} turns without reporting.` });
    } catch (err) {
      if (signal.aborted) return result({ status: 'aborted', tail });
      // vscode.LanguageModelError: NoPermissions (the person said no), Blocked, NotFound.
      const code = (err as { code?: string }).code;
      return result({ status: 'unavailable', message: `The language model refused or failed${code ? ` (${code})` : ''}: ${(err as Error).message}`, tail });
    } finally {
      signal.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }
}

/** The text of a chat message, for counting its tokens (tool parts count as their JSON). */
function textOf(m: vscode.LanguageModelChatMessage): string {
  const content = (m as { content?: unknown }).content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: unknown) => (p && typeof p === 'object' && 'value' in p ? String((p as { value: unknown }).value) : JSON.stringify(p))).join('');
}
