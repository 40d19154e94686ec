/**
 * Registers the report tools (reportTools.ts) on activation without loading them: registering needs
 * only their names; a tool's schemas and command (and zod with them) load on its first call.
 */
import type * as vscode from 'vscode';
import type { BoardPort } from '../../core/port';

type Tools = typeof import('./reportTools');
type ToolName = keyof Tools['REPORT_TOOLS'];

/** The names of REPORT_TOOLS, in its order (checked both ways below). */
export const REPORT_TOOL_NAMES = ['dreamos_task_done', 'dreamos_task_fail', 'dreamos_ask_human'] as const satisfies readonly ToolName[];
/** Fails to compile when REPORT_TOOLS has a tool this list lacks. */
export type EveryToolNamed = Exclude<ToolName, (typeof REPORT_TOOL_NAMES)[number]> extends never ? true : never;
const everyToolNamed: EveryToolNamed = true;
void everyToolNamed;

export type ToolApi = Pick<typeof vscode, 'LanguageModelToolResult' | 'LanguageModelTextPart'> & { lm?: Pick<typeof vscode.lm, 'registerTool'> };

/** Registers the tools where the editor supports them; returns what to dispose (nothing elsewhere). */
export function registerReportTools(api: ToolApi, board: BoardPort): { dispose(): void }[] {
  if (!api.lm?.registerTool) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on a tool's first call
  const tools = () => require('./reportTools') as Tools;
  return REPORT_TOOL_NAMES.map((name) =>
    api.lm!.registerTool<unknown>(name, {
      invoke: async (options) => new api.LanguageModelToolResult([new api.LanguageModelTextPart(await tools().invokeReportTool(board, name, options.input))]),
    }),
  );
}
