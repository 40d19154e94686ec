/**
 * The language-model driver: carries out a task with the editor's language-model API
 * (`vscode.lm`, where the editor provides a model) and a few tools: read a file, list a folder,
 * report the result. The model works read-only; its report (summary + evidence) is the outcome,
 * checked by the loop like any other. Where the editor has no model, it says so and the loop
 * hands the task on.
 *
 * The vscode API comes in as a parameter (feature-detected: engines ^1.96 has `lm`, but a given
 * editor, Cursor or code-server, may have no model behind it).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import type { LanguageModelAgentConfig } from '../../core/loop/config';
import type { AgentDriver, AgentJob, DriverIo, DriverOutcome } from '../../core/loop/driver';
import { AgentResult } from '../../core/loop/watch';

/** The part of the vscode API this driver uses. */
export type LmApi = Pick<typeof vscode, 'LanguageModelChatMessage' | 'LanguageModelTextPart' | 'LanguageModelToolCallPart' | 'LanguageModelToolResultPart' | 'CancellationTokenSource'> & {
  lm?: Pick<typeof vscode.lm, 'selectChatModels'>;
};

const MAX_FILE_CHARS = 20_000;
const MAX_LIST = 200;

export const LM_TOOLS: vscode.LanguageModelChatTool[] = [
  {
    name: 'dreamos_read_file',
    description: 'Read a text file of the workspace. Paths are relative to the workspace root.',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'dreamos_list_files',
    description: 'List the files and folders in a folder of the workspace (relative path; "." for the root).',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'dreamos_report',
    description:
      'Finish the task: report what you did and the evidence for it (kinds: test, check, diff, file, log, note, url, exit_code). Call this exactly once, at the end.',
    inputSchema: {
      type: 'object',
      properties: {
        summary: { type: 'string' },
        evidence: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, summary: { type: 'string' } }, required: ['kind', 'summary'] } },
      },
      required: ['summary', 'evidence'],
    },
  },
];

/** Resolves a workspace-relative path, refusing anything that leaves the workspace (.., absolute, symlinks). */
async function inside(root: string, rel: unknown): Promise<string> {
  if (typeof rel !== 'string' || !rel) throw new Error('give a path relative to the workspace');
  const abs = path.resolve(root, rel);
  const real = await fs.realpath(abs);
  const realRoot = await fs.realpath(root);
  const r = path.relative(realRoot, real);
  if (r.startsWith('..') || path.isAbsolute(r)) throw new Error(`${rel} is outside the workspace`);
  return real;
}

export async function runLmTool(root: string, name: string, input: Record<string, unknown>): Promise<string> {
  try {
    if (name === 'dreamos_read_file') {
      const file = await inside(root, input.path);
      const text = await fs.readFile(file, 'utf8');
      return text.length > MAX_FILE_CHARS ? `${text.slice(0, MAX_FILE_CHARS)}\n…[truncated ${text.length - MAX_FILE_CHARS} characters]` : text;
    }
    if (name === 'dreamos_list_files') {
      const dir = await inside(root, input.path ?? '.');
      const entries = await fs.readdir(dir, { withFileTypes: true });
      const names = entries.filter((e) => e.name !== '.git' && e.name !== '.dreamos').map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
      return names.slice(0, MAX_LIST).join('\n') + (names.length > MAX_LIST ? `\n…and ${names.length - MAX_LIST} more` : '');
    }
    return `Unknown tool ${name}.`;
  } catch (err) {
    return `Error: ${(err as Error).message}`;
  }
}

export class LanguageModelDriver implements AgentDriver {
  readonly kind = 'language-model' as const;

  constructor(
    private readonly api: LmApi,
    private readonly cfg: LanguageModelAgentConfig,
  ) {}

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
        `${job.prompt}\n\nYou work through tools: dreamos_read_file and dreamos_list_files to look at the workspace, and dreamos_report to finish with a summary and evidence. You cannot change files; describe the change you recommend in the report.`,
      ),
    ];
    let tail = '';
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
        if (calls.length === 0) {
          // It stopped talking without reporting: the loop judges that like an agent that exits 0 with no evidence.
          return result({ status: 'exited', exitCode: 0, signal: null, tail });
        }
        messages.push(api.LanguageModelChatMessage.Assistant([...(text ? [new api.LanguageModelTextPart(text)] : []), ...calls]));
        const results: vscode.LanguageModelToolResultPart[] = [];
        for (const call of calls) {
          const input = (call.input ?? {}) as Record<string, unknown>;
          io.note(`tool ${call.name} ${JSON.stringify(input).slice(0, 200)}`);
          if (call.name === 'dreamos_report') {
            const parsed = AgentResult.safeParse(input);
            if (parsed.success) return result({ status: 'exited', exitCode: 0, signal: null, tail, result: parsed.data });
            results.push(new api.LanguageModelToolResultPart(call.callId, [new api.LanguageModelTextPart(`The report is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Call dreamos_report again.`)]));
            continue;
          }
          results.push(new api.LanguageModelToolResultPart(call.callId, [new api.LanguageModelTextPart(await runLmTool(job.workspaceRoot, call.name, input))]));
        }
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
