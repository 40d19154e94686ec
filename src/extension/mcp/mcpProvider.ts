/**
 * The editor's own chat reaches the board through the board's MCP server: where the editor
 * supports MCP server definitions (VS Code 1.101+: `vscode.lm.registerMcpServerDefinitionProvider`,
 * package.json `mcpServerDefinitionProviders`), Dream.OS offers one stdio server that runs the
 * bundled CLI's `mcp` with the editor's own Node (Electron as Node) on this window's board. It acts
 * as the person (the hub token in hub.json), like the editor itself. Older editors (the 1.96 floor,
 * whose @types/vscode has none of this) get nothing: the API is looked up at run time. Offered only
 * in a trusted workspace, since the editor then starts a process.
 */
import type * as vscode from 'vscode';

export const MCP_PROVIDER_ID = 'dreamos.board';

/** The parts of the 1.101+ API used here (not in @types/vscode 1.96). */
interface StdioDefinition {
  cwd?: vscode.Uri;
}
type StdioDefinitionCtor = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => StdioDefinition;
interface McpProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): StdioDefinition[];
}
interface McpApi {
  registerMcpServerDefinitionProvider(id: string, provider: McpProvider): vscode.Disposable;
}

export interface McpProviderOptions {
  /** dist/cli.js of this extension. */
  cliPath: string;
  /** The program that runs it: the editor's own binary, as Node. */
  nodePath: string;
  /** This window's board folder and its workspace folder, or undefined when no folder is open. */
  board: () => { boardDir: string; workspace: string } | undefined;
  version: string;
}

/** Registers the definition provider where the editor has the API; returns what to dispose ([] where it has not). */
export function registerMcpProvider(vs: typeof vscode, o: McpProviderOptions): vscode.Disposable[] {
  const api = vs.lm as unknown as Partial<McpApi> | undefined;
  const Stdio = (vs as unknown as { McpStdioServerDefinition?: StdioDefinitionCtor }).McpStdioServerDefinition;
  if (typeof api?.registerMcpServerDefinitionProvider !== 'function' || typeof Stdio !== 'function') return [];
  const changed = new vs.EventEmitter<void>();
  const provider: McpProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      const b = o.board();
      if (!b || !vs.workspace.isTrusted) return [];
      const def = new Stdio('Dream.OS board', o.nodePath, [o.cliPath, 'mcp', '--dir', b.boardDir], { ELECTRON_RUN_AS_NODE: '1' }, o.version);
      def.cwd = vs.Uri.file(b.workspace);
      return [def];
    },
  };
  return [changed, vs.workspace.onDidGrantWorkspaceTrust(() => changed.fire()), api.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider)];
}
