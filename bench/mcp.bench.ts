/**
 * The MCP bench: what a tool call through the board's MCP server costs on top of the board call it
 * makes, measured in the same run against the same hub (a real `dreamos hub` process):
 *
 *   direct      BoardClient.call over the hub's socket, with an agent's credential
 *   mcp stdio   an SDK Client → the built `dreamos mcp` (a child, as an agent CLI starts it) → the hub
 *   mcp http    an SDK Client → node:http on 127.0.0.1 → the /mcp handler (stateless: a fresh
 *               server per request) → a board connection presenting an agent token → the hub
 *
 * Two calls each: a read (task_show ↔ task.show) and a write (mail_send ↔ mail.send, fsynced by the
 * hub). p50 / p99 over BENCH_MCP_CALLS sequential calls, and the ratio of each MCP p50 to the direct
 * p50. Printed, never asserted.
 *
 *   node --import tsx bench/mcp.bench.ts        Env: BENCH_MCP_CALLS=300  BENCH_RESULTS=<file>
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectBoard } from '../src/core/hub/connect';
import { socketPathFor } from '../src/core/hub/descriptor';
import { mcpHttpHandler } from '../src/integrations/mcp/http';
import type { Figure } from './dashboard.bench';

const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 300);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/cli.js');
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const figure = (f: Figure) => process.env.BENCH_RESULTS && appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-mcp-'));
  const dir = path.join(root, '.dreamos');
  // The person's connection starts a detached hub process (as the CLI does): every path below reaches it over its socket.
  const person = await connectBoard({ dir, client: 'bench', hubMode: 'spawn', actor: 'human:bench', spawn: { command: process.execPath, args: [CLI, 'hub', '--dir', dir] } });
  const agent = await person.call({ type: 'agent.register', name: 'coder' });
  const task = await person.call({ type: 'task.add', title: 'A task to look at', description: 'x'.repeat(400) });
  const cred = await person.call({ type: 'credential.issue', agent: 'coder' });
  const { token } = await person.call({ type: 'token.create', name: 'bench-agent', scope: 'agent', agent: 'coder' });

  const direct = await connectBoard({ dir, client: 'bench-direct', hubMode: 'never', credential: cred.token });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DREAMOS_')) env[k] = v;
  const stdio = new Client({ name: 'bench', version: '1' });
  await stdio.connect(
    new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], cwd: root, env: { ...env, DREAMOS_DIR: dir, DREAMOS_AGENT_ID: agent.id, DREAMOS_AGENT_TOKEN: cred.token, DREAMOS_HUB_SOCKET: socketPathFor(dir) }, stderr: 'ignore' }),
  );
  const tokenBoard = await connectBoard({ dir, client: 'bench-http', hubMode: 'never', credential: token });
  const whoami = await tokenBoard.call({ type: 'credential.whoami' });
  const handler = mcpHttpHandler({ workspace: { root, boardDir: dir } });
  const server = createServer((req, res) => void handler(req, res, { token, board: tokenBoard, whoami }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const http = new Client({ name: 'bench', version: '1' });
  await http.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`)));

  const mail = (i: number) => ({ to: { kind: 'human' as const }, subject: `note ${i}`, body: 'progress' });
  const tool = (c: Client, name: string, args: Record<string, unknown>) => async () => {
    const r = await c.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  };
  console.log(`MCP tool-call overhead, ${CALLS} sequential calls each, one hub process, load average ${load()}`);
  const rows: { call: string; path: string; xs: number[] }[] = [];
  for (const [call, d, m] of [
    ['read (task_show)', () => direct.call({ type: 'task.show', taskId: task.id }), { name: 'task_show', args: () => ({ taskId: task.id }) }],
    ['write (mail_send)', (i: number) => direct.call({ type: 'mail.send', from: agent.id, ...mail(i) }), { name: 'mail_send', args: (i: number) => mail(i) }],
  ] as const) {
    rows.push({ call, path: 'direct BoardClient.call', xs: await time(CALLS, d) });
    rows.push({ call, path: 'mcp stdio (dreamos mcp)', xs: await time(CALLS, (i) => tool(stdio, m.name, m.args(i))()) });
    rows.push({ call, path: 'mcp http (stateless)', xs: await time(CALLS, (i) => tool(http, m.name, m.args(i))()) });
  }
  console.log(`${'call'.padEnd(20)}${'path'.padEnd(26)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'× direct p50'.padStart(14)}`);
  for (const r of rows) {
    const base = rows.find((x) => x.call === r.call && x.path.startsWith('direct'))!;
    const ratio = pct(r.xs, 50) / pct(base.xs, 50);
    console.log(`${r.call.padEnd(20)}${r.path.padEnd(26)}${pct(r.xs, 50).toFixed(2).padStart(9)}${pct(r.xs, 99).toFixed(2).padStart(9)}${ratio.toFixed(2).padStart(14)}`);
    if (!r.path.startsWith('direct')) {
      const via = r.path.includes('stdio') ? 'stdio' : 'http';
      const kind = r.call.split(' ')[0]!;
      figure({ bench: 'mcp', name: `MCP ${via} ${kind} p50 / direct call p50`, value: ratio, unit: 'x', note: `p50 ${pct(r.xs, 50).toFixed(2)} ms, p99 ${pct(r.xs, 99).toFixed(2)} ms; direct p50 ${pct(base.xs, 50).toFixed(2)} ms` });
    }
  }

  await stdio.close();
  await http.close();
  await new Promise((r) => server.close(r));
  await tokenBoard.close();
  await direct.close();
  await person.close();
  execFileSync(process.execPath, [CLI, 'hub', 'stop', '--dir', dir], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
