/**
 * JSON schemas for the configuration files in the board folder, generated from the same zod
 * schemas that validate them at run time (zod 4's z.toJSONSchema), so the editor's validation and
 * completion can never disagree with what Dream.OS accepts. `npm run gen:schemas` writes them to
 * schemas/*.schema.json; package.json's contributes.jsonValidation points the editor at them, and
 * test/unit/configSchemas.test.ts fails when the checked-in files are stale.
 */
import { z } from 'zod';
import { TaskFile } from '../core/board/importExport';
import { AgentsFile } from '../core/loop/agentsConfig';
import { CheckFile } from '../core/proposals/proposalChecks';
import { WorktreeSetup } from '../core/worktrees/setup';
import { DiscordConfig } from '../integrations/discord/discordConfig';

export interface ConfigFile {
  /** The file's name in the board folder (.dreamos/<file>). */
  file: string;
  /** schemas/<schema> in the extension. */
  schema: string;
  title: string;
  description: string;
  zod: z.ZodType;
}

/** Descriptions for the task fields (completion in tasks.json); the board's schema carries few of its own. */
const TASK_FIELDS: Record<string, string> = {
  title: 'What should be done (1–200 characters).',
  description: 'Context for the agent: files, acceptance criteria…',
  kind: 'The kind of work.',
  priority: 'low, normal, high or critical (or 0–3).',
  tags: 'Labels; "scope:<path>" limits the files the task may change, "dir:<folder>" where the agent runs.',
  dependsOn: 'Tasks (ids, or keys in this file) that must be done before this one is ready.',
  parent: 'The parent task (an id, or a key in this file).',
  key: 'A name for this item, so others in the same file can name it in dependsOn or parent.',
  estimateMinutes: 'How long it should take, in minutes.',
  deadline: 'When it is due, in milliseconds since 1970 (UTC).',
  maxAttempts: 'After this many failed attempts the task stays failed.',
  assignee: 'The id of the agent that should take it.',
};

export const CONFIG_FILES: readonly ConfigFile[] = [
  { file: 'agents.json', schema: 'agents.schema.json', title: 'Dream.OS agents', description: 'The agents `Start Swarm` and `dreamos swarm start` run (.dreamos/agents.json).', zod: AgentsFile },
  { file: 'worktrees.json', schema: 'worktrees.schema.json', title: 'Dream.OS worktree setup', description: 'What every new task worktree needs before an agent works in it (.dreamos/worktrees.json).', zod: WorktreeSetup },
  { file: 'checks.json', schema: 'checks.schema.json', title: 'Dream.OS checks', description: 'What must pass before an agent\'s change lands (.dreamos/checks.json): { "checks": [...], "postApply": [...] } or a list of checks.', zod: CheckFile },
  { file: 'discord.json', schema: 'discord.schema.json', title: 'Dream.OS Discord', description: 'The Discord settings of the headless hub, `dreamos discord` (.dreamos/discord.json); the bot token is DREAMOS_DISCORD_TOKEN, never here.', zod: DiscordConfig },
  { file: 'tasks.json', schema: 'tasks.schema.json', title: 'Dream.OS task file', description: 'Tasks for `dreamos import` (.dreamos/tasks.json): { "tasks": [...] } or a list of tasks.', zod: z.union([TaskFile, TaskFile.shape.tasks]) },
];

type Json = { [k: string]: unknown };

/** Adds descriptions to the properties of every task object in the schema (tasks.json). */
function describeTasks(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Json;
  const props = n.properties as Record<string, Json> | undefined;
  if (props && 'title' in props && 'dependsOn' in props) {
    for (const [k, v] of Object.entries(props)) if (TASK_FIELDS[k] && !v.description) v.description = TASK_FIELDS[k];
  }
  for (const v of Object.values(n)) describeTasks(v);
}

/** The JSON schema of one config file, as its text in schemas/ (stable key order, 2-space indent, newline). */
export function configSchemaText(c: ConfigFile): string {
  const generated = z.toJSONSchema(c.zod, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Json;
  const { $schema, ...rest } = generated;
  const schema: Json = { $schema, title: c.title, ...rest, description: c.description };
  if (c.file === 'tasks.json') describeTasks(schema);
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** contributes.jsonValidation entries for package.json. */
export function jsonValidation(): { fileMatch: string; url: string }[] {
  return CONFIG_FILES.map((c) => ({ fileMatch: `**/.dreamos/${c.file}`, url: `./schemas/${c.schema}` }));
}
