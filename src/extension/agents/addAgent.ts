/**
 * Dream.OS: Add Agent… — finds the agent CLIs on PATH (with versions and sign-in state), offers the
 * presets, asks the few choices that matter (name, model) and writes the entry into
 * .dreamos/agents.json through core addAgent, the same one `dreamos agent add` uses, so every agent
 * added is one the swarm runs. A malformed agents.json is never overwritten: the error opens it at
 * the line and column. Register Agent is this same flow.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { addAgent, type AddedAgent, type NewAgentEntry } from '../../core/agents/add';
import { DreamError } from '../../core/errors';
import { AGENTS_FILE } from '../../core/loop/agentsConfig';
import { AGENT_CLIS, describeCli, detectAgentClis, type AgentCliInfo } from '../../integrations/agents/detect';

const MODEL_HINT: Record<string, string> = { claude: 'e.g. sonnet, opus, claude-sonnet-4-5', codex: 'e.g. gpt-5-codex, gpt-5', gemini: 'e.g. gemini-2.5-pro', opencode: 'provider/model, e.g. anthropic/claude-sonnet-4-5', 'cursor-agent': 'e.g. sonnet-4', aider: 'e.g. sonnet, gpt-4.1' };

type Pick = vscode.QuickPickItem & { preset: NewAgentEntry['preset']; cli?: AgentCliInfo };

/** Given (scripts, tests): skip the questions. */
export type AddAgentArg = Partial<NewAgentEntry> & { preset?: NewAgentEntry['preset'] };

export async function addAgentFlow(boardDir: string, arg?: unknown, log?: vscode.LogOutputChannel): Promise<AddedAgent | undefined> {
  const given = (arg && typeof arg === 'object' && 'preset' in arg ? arg : {}) as AddAgentArg;
  const clis = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Dream.OS: looking for agent CLIs…' }, () => detectAgentClis());
  let input: NewAgentEntry;
  if (given.preset) input = { ...given, preset: given.preset };
  else {
    const items: Pick[] = [
      ...clis.map((c) => ({
        label: c.label,
        description: c.found ? c.version : 'not found on PATH',
        detail: c.found ? (c.login === 'logged-in' ? `signed in · preset "${c.kind}"` : `preset "${c.kind}" · ${c.login === 'not-logged-in' ? 'not signed in' : 'sign-in not known'}`) : `install: ${c.installHint}`,
        preset: c.kind,
        cli: c,
      })),
      { label: 'Any command…', description: 'a script or another CLI', detail: 'runs a program in the task\'s folder with the prompt on stdin; it reports back with `dreamos task done`', preset: 'command' },
    ];
    items.sort((a, b) => Number(!!b.cli?.found) - Number(!!a.cli?.found));
    const picked = await vscode.window.showQuickPick(items, { title: 'Add Agent (1/3): which agent?', placeHolder: 'The agent CLIs found on this machine come first', matchOnDetail: true });
    if (!picked) return undefined;
    input = { preset: picked.preset };
    if (picked.preset === 'command') {
      const line = await vscode.window.showInputBox({ title: 'Add Agent: the program', prompt: 'The program and its arguments, e.g. node agent.js', validateInput: (v) => (v.trim() ? undefined : 'Give the program to run.') });
      if (!line) return undefined;
      const [command, ...args] = line.trim().split(/\s+/);
      input = { preset: 'command', command: command!, args };
    }
    const name = await vscode.window.showInputBox({
      title: 'Add Agent (2/3): name',
      prompt: 'A short name for the board (leave empty for the next free one, e.g. claude-1)',
      validateInput: (v) => (!v || /^[\w.-]{1,56}$/.test(v) ? undefined : 'Use 1–56 letters, digits, dots, dashes or underscores.'),
    });
    if (name === undefined) return undefined;
    input.name = name || undefined;
    if (picked.preset !== 'command') {
      const model = await vscode.window.showInputBox({ title: 'Add Agent (3/3): model', prompt: `The model (leave empty for the CLI's default)`, placeHolder: MODEL_HINT[picked.preset] ?? '' });
      if (model === undefined) return undefined;
      input.model = model.trim() || undefined;
    }
  }
  let added: AddedAgent;
  try {
    added = await addAgent(boardDir, input);
  } catch (err) {
    const e = DreamError.from(err);
    const at = e.details as { line?: number; column?: number } | undefined;
    const open = 'Open agents.json';
    void vscode.window.showErrorMessage(`Dream.OS: ${e.message}`, open).then(async (choice) => {
      if (choice !== open) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(boardDir, AGENTS_FILE)));
      const pos = new vscode.Position(Math.max(0, (at?.line ?? 1) - 1), Math.max(0, (at?.column ?? 1) - 1));
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
    });
    return undefined;
  }
  const name = String(added.entry.name);
  log?.info(`Added agent ${name} to ${added.file}: ${JSON.stringify(added.entry)}`);
  const cli = clis.find((c) => c.kind === input.preset);
  const start = 'Start Swarm';
  void vscode.window
    .showInformationMessage(`Dream.OS: added agent ${name} to .dreamos/agents.json. Start the swarm to run it (restart it if it is running).`, start)
    .then((choice) => choice === start && vscode.commands.executeCommand('dreamos.swarm.start'));
  if (cli && (!cli.found || cli.login !== 'logged-in')) {
    const spec = AGENT_CLIS.find((s) => s.kind === cli.kind)!;
    const signIn = 'Sign In in a Terminal';
    const warn = vscode.window.showWarningMessage(`Dream.OS: ${describeCli(cli)}`, ...(cli.found && (spec.status || cli.kind === 'opencode') ? [signIn] : []));
    void warn.then((choice) => {
      if (choice !== signIn) return;
      const term = vscode.window.createTerminal({ name: `${cli.label} sign-in` });
      term.show();
      term.sendText(cli.kind === 'claude' ? `${cli.command} auth login` : cli.kind === 'opencode' ? `${cli.command} auth login` : `${cli.command} login`);
    });
  }
  return added;
}
