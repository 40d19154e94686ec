/**
 * Prompts: built from the task and its context (description, dependencies' results, evidence so
 * far, mail to the agent, project rules, feedback from earlier attempts) within a size budget.
 * Templates live in `.dreamos/prompts/<name>.md` and use {{placeholders}}; an unknown placeholder
 * is an error that names the file, the line and the placeholders there are.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Evidence, Message, Task } from '../board/boardModel';
import { priorityName } from '../board/boardModel';
import { DreamError } from '../errors';

export const PROMPT_PLACEHOLDERS = [
  'task.id',
  'task.title',
  'task.description',
  'task.kind',
  'task.priority',
  'task.tags',
  'task.evidence',
  'task.attempt',
  'agent.name',
  'agent.id',
  'cwd',
  'scope',
  'dependencies',
  'messages',
  'rules',
  'feedback',
  'report',
] as const;
export type Placeholder = (typeof PROMPT_PLACEHOLDERS)[number];

/** Sections that can be long; they share the budget, the rest is always kept whole. */
const ELASTIC: readonly Placeholder[] = ['task.description', 'feedback', 'rules', 'dependencies', 'messages', 'task.evidence'];

export const TRUNCATED = '…[truncated';

export const DEFAULT_TEMPLATE = `# Task {{task.id}}: {{task.title}}

You are {{agent.name}}, an agent on a Dream.OS board. Kind: {{task.kind}}. Priority: {{task.priority}}. Tags: {{task.tags}}. Attempt {{task.attempt}}.
Work in {{cwd}}. {{scope}}

## What to do
{{task.description}}

## Feedback on earlier attempts
{{feedback}}

## Results of the tasks this one depends on
{{dependencies}}

## Evidence recorded so far
{{task.evidence}}

## Messages for you
{{messages}}

## Project rules
{{rules}}

## Reporting back
{{report}}
`;

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface Template {
  name: string;
  text: string;
}

/** Throws a clear error for unknown placeholders; returns the template otherwise. */
export function validateTemplate(text: string, name: string): Template {
  const bad: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(PLACEHOLDER_RE)) {
      if (!(PROMPT_PLACEHOLDERS as readonly string[]).includes(m[1]!)) bad.push(`line ${i + 1}: {{${m[1]}}}`);
    }
  });
  if (bad.length) {
    throw new DreamError(
      'invalid_input',
      `The prompt template ${name} uses unknown placeholders (${bad.join('; ')}). Known: ${PROMPT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`,
      { template: name, unknown: bad },
    );
  }
  return { name, text };
}

/** Loads `.dreamos/prompts/<name>.md`; the built-in template when `name` is undefined. */
export async function loadTemplate(boardDir: string, name: string | undefined): Promise<Template> {
  if (!name) return { name: '(built-in)', text: DEFAULT_TEMPLATE };
  const file = path.join(boardDir, 'prompts', `${name}.md`);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DreamError('not_found', `The prompt template "${name}" does not exist: create ${file} or remove "prompt" from the agent in agents.json.`, { file });
    }
    throw err;
  }
  return validateTemplate(text, file);
}

/** The project rules file, or '' when there is none. */
export async function loadRules(boardDir: string): Promise<string> {
  try {
    return await fs.readFile(path.join(boardDir, 'rules.md'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

export interface PromptInput {
  task: Task;
  agent: { id: string; name: string };
  attempt: number;
  cwd: string;
  scope: string[];
  dependencies: { id: string; title: string; summary: string | null }[];
  messages: Pick<Message, 'from' | 'subject' | 'body' | 'createdAt'>[];
  rules: string;
  feedback: string[];
  /** The agent's CLI was given the board's MCP server (`"mcp": true`). */
  mcp?: boolean;
}

/** How the agent reports; with `mcp`, the board's MCP tools (the `dreamos` server its CLI was given) come first. */
export function reportInstructions(taskId: string, mcp = false): string {
  return [
    ...(mcp
      ? [
          'Report through the `dreamos` MCP server\'s tools (they know this task and your lease): `task_done` with a summary and evidence, `task_failed`, `task_blocked`, `ask_person` for a question, `mail_send`, `propose_change`. The `dreamos` command below does the same if the tools are not available.',
        ]
      : []),
    'The loop records your exit status, the files you changed and the checks it runs. A task counts as done only with evidence: saying "done" is not enough.',
    `- Done, with evidence: \`dreamos task done ${taskId} --summary "what you did" --evidence test:"12 passed"\` (DREAMOS_TASK_ID, DREAMOS_AGENT_ID and DREAMOS_LEASE_TOKEN are set for you),`,
    '  or print as your last line: DREAMOS_RESULT {"summary":"what you did","evidence":[{"kind":"test","summary":"12 passed"}]}',
    '  Evidence kinds: exit_code, test, diff, file, log, check, note, url.',
    `- A question for the person: \`dreamos mail send --to human --subject "..." --body "..."\`.`,
    `- Cannot be done: exit with a non-zero status, or \`dreamos task fail ${taskId} --reason "why"\`.`,
  ].join('\n');
}

function formatEvidence(list: readonly Evidence[]): string {
  return list.map((e) => `- ${e.kind}: ${e.summary}`).join('\n');
}

function sections(p: PromptInput): Record<Placeholder, string> {
  const t = p.task;
  return {
    'task.id': t.id,
    'task.title': t.title,
    'task.description': t.description.trim() || '(no description: the title says it all)',
    'task.kind': t.kind,
    'task.priority': priorityName(t.priority),
    'task.tags': t.tags.length ? t.tags.join(', ') : '(none)',
    'task.evidence': t.evidence.length ? formatEvidence(t.evidence) : '(none yet)',
    'task.attempt': String(p.attempt),
    'agent.name': p.agent.name,
    'agent.id': p.agent.id,
    cwd: p.cwd,
    scope: p.scope.length ? `Change only files matching: ${p.scope.join(', ')}.` : '',
    dependencies: p.dependencies.length ? p.dependencies.map((d) => `- ${d.id} ${d.title}: ${d.summary ?? '(no summary)'}`).join('\n') : '(none)',
    messages: p.messages.length ? p.messages.map((m) => `- from ${m.from}: ${m.subject}${m.body ? `\n  ${m.body.replace(/\n/g, '\n  ')}` : ''}`).join('\n') : '(none)',
    rules: p.rules.trim() || '(none)',
    feedback: p.feedback.length ? p.feedback.map((f) => `- ${f}`).join('\n') : '(none: this is the first try)',
    report: reportInstructions(t.id, p.mcp),
  };
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n${TRUNCATED} ${text.length - max} characters]`;
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER_RE, (_m, name: string) => values[name] ?? '');
}

/**
 * Renders the template. The long sections share what the budget leaves after the fixed text,
 * water-filling: short sections keep all they have, long ones are cut with a marker.
 */
export function buildPrompt(input: PromptInput, template: Template, maxChars: number): string {
  const values = sections(input);
  const present = new Set([...template.text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]));
  const used = ELASTIC.filter((k) => present.has(k));
  const fixed = render(template.text, { ...values, ...Object.fromEntries(used.map((k) => [k, ''])) }).length;
  let left = Math.max(0, maxChars - fixed);
  const order = [...used].sort((a, b) => values[a].length - values[b].length);
  order.forEach((k, i) => {
    const share = Math.floor(left / (order.length - i));
    values[k] = truncate(values[k], share);
    left -= values[k].length;
  });
  return truncate(render(template.text, values), maxChars);
}

/**
 * The prompt sent into a resumed agent session (a rerun of the same task by a preset agent): the
 * session already holds the task and what was done, so it gets the feedback and what to do now.
 */
export function buildResumePrompt(input: { task: Task; agentName: string; attempt: number; feedback: string[]; messages?: Pick<Message, 'from' | 'subject' | 'body'>[]; mcp?: boolean }, maxChars: number): string {
  const t = input.task;
  const feedback = input.feedback.filter((f) => f.trim());
  const text = [
    `# Task ${t.id}: ${t.title} (continued, attempt ${input.attempt})`,
    '',
    `${input.agentName}, this is the same task in the same session: your last attempt did not finish it.`,
    '',
    '## Feedback on your last attempt',
    feedback.length ? feedback.map((f) => `- ${f}`).join('\n') : '- (none given: look at what is left to do and finish it)',
    ...(input.messages?.length ? ['', '## Messages for you', input.messages.map((m) => `- from ${m.from}: ${m.subject}${m.body ? `\n  ${m.body.replace(/\n/g, '\n  ')}` : ''}`).join('\n')] : []),
    '',
    '## Reporting back',
    reportInstructions(t.id, input.mcp),
  ].join('\n');
  return truncate(text, maxChars);
}
