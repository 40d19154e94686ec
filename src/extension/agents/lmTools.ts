/**
 * The tools the language-model driver gives the editor's model: look at the task's working tree
 * (its worktree when the task has one), write and edit files in it, run the agent's configured
 * checks there, ask the person, and finish with a report. Every path is resolved inside the
 * working tree, symlinks included; a path that leaves it is refused, never followed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import type { CheckRunner, CheckSpec } from '../../core/loop/driver';

const MAX_FILE_CHARS = 20_000;
const MAX_WRITE_CHARS = 1_000_000;
const MAX_LIST = 200;

const pathArg = { path: { type: 'string', description: 'relative to the task\'s working tree' } };

export const LM_TOOLS: vscode.LanguageModelChatTool[] = [
  { name: 'dreamos_read_file', description: 'Read a text file of the task\'s working tree (relative path).', inputSchema: { type: 'object', properties: pathArg, required: ['path'] } },
  { name: 'dreamos_list_files', description: 'List the files and folders in a folder of the task\'s working tree (relative path; "." for its root).', inputSchema: { type: 'object', properties: pathArg, required: ['path'] } },
  {
    name: 'dreamos_write_file',
    description: 'Create or overwrite a text file in the task\'s working tree with the given content (folders are created).',
    inputSchema: { type: 'object', properties: { ...pathArg, content: { type: 'string' } }, required: ['path', 'content'] },
  },
  {
    name: 'dreamos_edit_file',
    description: 'Replace one exact occurrence of oldText with newText in a file of the task\'s working tree. oldText must occur exactly once.',
    inputSchema: { type: 'object', properties: { ...pathArg, oldText: { type: 'string' }, newText: { type: 'string' } }, required: ['path', 'oldText', 'newText'] },
  },
  { name: 'dreamos_run_checks', description: 'Run the checks configured for you (tests, lint) in the task\'s working tree and see their results.', inputSchema: { type: 'object', properties: {} } },
  {
    name: 'dreamos_ask_person',
    description: 'Ask the person a question about the task. The task waits for their answer; finish your turn after asking.',
    inputSchema: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  },
  {
    name: 'dreamos_report',
    description: 'Finish the task: report what you did and the evidence for it (kinds: test, check, diff, file, log, note, url, exit_code). Call this exactly once, at the end.',
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

/** What the tools act on: the task's working tree, its checks, and the person. */
export interface LmToolContext {
  root: string;
  checks?: { runner: CheckRunner; specs: CheckSpec[]; signal: AbortSignal };
  ask?: (question: string) => Promise<void>;
  /** Called with each file the model wrote (relative path), for the run's transcript. */
  edited?: (file: string) => void;
}

/** The real path of `rel` inside root, refusing anything that leaves it (.., absolute, a symlink out). A file not there yet resolves through its nearest existing folder. */
async function inside(root: string, rel: unknown): Promise<string> {
  if (typeof rel !== 'string' || !rel) throw new Error('give a path relative to the task\'s working tree');
  const realRoot = await fs.realpath(root);
  let probe = path.resolve(realRoot, rel);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = path.join(await fs.realpath(probe), ...rest);
      const r = path.relative(realRoot, real);
      if (r.startsWith('..') || path.isAbsolute(r)) throw new Error(`${rel} is outside the task's working tree`);
      if (r.split(path.sep)[0] === '.git') throw new Error(`${rel} is inside .git; change files through the working tree only`);
      return real;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      rest.unshift(path.basename(probe));
      const up = path.dirname(probe);
      if (up === probe) throw err;
      probe = up;
    }
  }
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string') throw new Error(`${name} must be a string`);
  return v;
};

export async function runLmTool(ctx: LmToolContext | string, name: string, input: Record<string, unknown>): Promise<string> {
  const c: LmToolContext = typeof ctx === 'string' ? { root: ctx } : ctx;
  try {
    switch (name) {
      case 'dreamos_read_file': {
        const text = await fs.readFile(await inside(c.root, input.path), 'utf8');
        return text.length > MAX_FILE_CHARS ? `${text.slice(0, MAX_FILE_CHARS)}\n…[truncated ${text.length - MAX_FILE_CHARS} characters]` : text;
      }
      case 'dreamos_list_files': {
        const entries = await fs.readdir(await inside(c.root, input.path ?? '.'), { withFileTypes: true });
        const names = entries.filter((e) => e.name !== '.git' && e.name !== '.dreamos').map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
        return names.slice(0, MAX_LIST).join('\n') + (names.length > MAX_LIST ? `\n…and ${names.length - MAX_LIST} more` : '');
      }
      case 'dreamos_write_file': {
        const content = str(input.content, 'content');
        if (content.length > MAX_WRITE_CHARS) throw new Error(`content is ${content.length} characters; the most one write takes is ${MAX_WRITE_CHARS}`);
        const file = await inside(c.root, input.path);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, content, 'utf8');
        c.edited?.(String(input.path));
        return `Wrote ${String(input.path)} (${content.length} characters).`;
      }
      case 'dreamos_edit_file': {
        const file = await inside(c.root, input.path);
        const oldText = str(input.oldText, 'oldText');
        const newText = str(input.newText, 'newText');
        if (!oldText) throw new Error('oldText is empty; use dreamos_write_file to write a whole file');
        const text = await fs.readFile(file, 'utf8');
        const count = text.split(oldText).length - 1;
        if (count !== 1) throw new Error(`oldText occurs ${count} times in ${String(input.path)}; give text that occurs exactly once`);
        await fs.writeFile(file, text.replace(oldText, () => newText), 'utf8');
        c.edited?.(String(input.path));
        return `Edited ${String(input.path)}.`;
      }
      case 'dreamos_run_checks': {
        if (!c.checks || c.checks.specs.length === 0) return 'No checks are configured for you ("checks" in agents.json); say in your report how you verified the change.';
        const lines: string[] = [];
        for (const spec of c.checks.specs) {
          const r = await c.checks.runner.run(spec, c.root, c.checks.signal);
          lines.push(`${r.ok ? 'PASS' : 'FAIL'} ${spec.name} (exit ${r.exitCode ?? 'none'}, ${r.durationMs} ms)${r.error ? `: ${r.error}` : ''}\n${r.tail.slice(-2_000)}`);
        }
        return lines.join('\n\n');
      }
      case 'dreamos_ask_person': {
        const question = str(input.question, 'question').trim();
        if (!question) throw new Error('question is empty');
        if (!c.ask) return 'Asking the person is not available here; report what you need in dreamos_report instead.';
        await c.ask(question.slice(0, 20_000));
        return 'Sent to the person. End your turn now; the task waits for their answer.';
      }
      default:
        return `Unknown tool ${name}.`;
    }
  } catch (err) {
    return `Error: ${(err as Error).message}`;
  }
}
