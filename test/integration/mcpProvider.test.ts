/**
 * The editor's MCP server definition (src/extension/mcp/mcpProvider.ts): on an editor with the
 * 1.101+ API it offers one stdio server, and that definition — its command, arguments, environment
 * and folder as given — really starts the bundled `dreamos mcp`, which an SDK Client uses as the
 * person. On the 1.96 API (no registerMcpServerDefinitionProvider) nothing is registered. The
 * `vscode` object here is a stand-in for the editor's API surface the provider touches; the server
 * it starts is the real one.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type * as vscode from 'vscode';
import { MCP_PROVIDER_ID, registerMcpProvider } from '../../src/extension/mcp/mcpProvider';
import { ensureCli } from './fixtures/agents/harness';
import { callOf, mcpBoard, ok, refused, type McpBoard } from './helpers/mcpJourney';

class Definition {
  cwd?: { fsPath: string };
  constructor(
    readonly label: string,
    readonly command: string,
    readonly args: string[],
    readonly env: Record<string, string>,
    readonly version: string,
  ) {}
}
class Emitter {
  private readonly ls: (() => void)[] = [];
  readonly event = (l: () => void) => (this.ls.push(l), { dispose: () => undefined });
  fire = () => this.ls.forEach((l) => l());
  dispose = () => undefined;
}

function editor(o: { withApi: boolean; trusted: boolean }) {
  const registered: { id: string; provider: { provideMcpServerDefinitions: (t: unknown) => Definition[]; onDidChangeMcpServerDefinitions?: (l: () => void) => unknown } }[] = [];
  let grant: (() => void) | undefined;
  const vs = {
    lm: o.withApi ? { registerMcpServerDefinitionProvider: (id: string, provider: never) => (registered.push({ id, provider }), { dispose: () => undefined }) } : {},
    ...(o.withApi ? { McpStdioServerDefinition: Definition } : {}),
    EventEmitter: Emitter,
    Uri: { file: (fsPath: string) => ({ fsPath }) },
    workspace: { isTrusted: o.trusted, onDidGrantWorkspaceTrust: (l: () => void) => ((grant = l), { dispose: () => undefined }) },
  };
  return { vs: vs as unknown as typeof vscode, registered, trust: () => ((vs.workspace.isTrusted = true), grant?.()) };
}

describe("the editor's MCP server definition", { timeout: 60_000 }, () => {
  let b: McpBoard;
  let client: Client | undefined;
  before(async () => {
    ensureCli();
    b = await mcpBoard('dreamos-mcp-editor-');
  });
  after(async () => {
    await client?.close();
    await b.person.close();
    rmSync(b.root, { recursive: true, force: true });
  });
  const options = () => ({ cliPath: ensureCli(), nodePath: process.execPath, board: () => ({ boardDir: b.dir, workspace: b.root }), version: '0.1.0' });

  it('registers nothing on an editor without the MCP API (the 1.96 floor)', () => {
    const e = editor({ withApi: false, trusted: true });
    assert.deepEqual(registerMcpProvider(e.vs, options()), []);
  });

  it('offers the server once the workspace is trusted, and the definition starts a working `dreamos mcp` as the person', async () => {
    const e = editor({ withApi: true, trusted: false });
    registerMcpProvider(e.vs, options());
    assert.deepEqual(e.registered.map((r) => r.id), [MCP_PROVIDER_ID]);
    const { provider } = e.registered[0]!;
    assert.deepEqual(provider.provideMcpServerDefinitions(undefined), [], 'nothing runs in an untrusted workspace');
    let changed = 0;
    provider.onDidChangeMcpServerDefinitions?.(() => changed++);
    e.trust();
    assert.equal(changed, 1, 'trust granted: the editor asks again');
    const [def] = provider.provideMcpServerDefinitions(undefined);
    assert.ok(def);
    assert.equal(def.cwd?.fsPath, b.root);

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DREAMOS_')) env[k] = v;
    client = new Client({ name: 'editor-chat', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: def.command, args: def.args, env: { ...env, ...def.env }, cwd: def.cwd!.fsPath, stderr: 'ignore' }));
    const call = callOf(client);
    const listed = ok(await call('task_list'), 'task_list') as { tasks: { id: string }[] };
    assert.deepEqual(listed.tasks.map((t) => t.id).sort(), [b.first.id, b.second.id].sort());
    // The person has no agent identity: claiming needs one named.
    refused(await call('task_claim_next'), /pass "agentId"/, 'claiming without an agent');
    const sent = ok(await call('mail_send', { from: 'human', to: { kind: 'agent', id: b.agentId }, subject: 'From the editor chat' }), 'mail_send') as { from: string };
    assert.equal(sent.from, 'human');
  });
});
