/**
 * The `dreamos` bundle leaves the libraries only `serve` / `mcp` use (hono, rate-limiter-flexible,
 * ws, the MCP SDK with ajv) to dist/vendor/cli-serve.js and zod to dist/vendor/cli-zod.js, so the
 * CLI's every call reads, hashes and parses less (esbuild.mjs). Built from this tree in a scratch
 * folder, this checks what each bundle holds (from the source maps: zod only in cli-zod.js, none of
 * Dream.OS's modules in the vendor bundles), and that `dreamos mcp` run from the bundles works with
 * one zod: the tool schemas still carry their descriptions, which live in zod's registry (a second
 * zod would lose them).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { socketPathFor } from '../../src/core/hub/descriptor';
import { mcpBoard, type McpBoard } from './helpers/mcpJourney';

const root = path.resolve(__dirname, '../..');
const VENDORED = /node_modules\/(hono|@hono\/node-server|rate-limiter-flexible|ws|@modelcontextprotocol\/sdk|ajv|ajv-formats|fast-uri|zod-to-json-schema)\//;

function sources(map: string): string[] {
  return (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources.map((s) => s.replace(/\\/g, '/'));
}

describe('the dreamos bundle and its vendored serve/mcp libraries', { timeout: 180_000 }, () => {
  let scratch: string;
  let dist: string;
  let b: McpBoard | undefined;
  before(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cli-vendor-'));
    for (const entry of ['src', 'webview-ui', 'media', 'node_modules']) symlinkSync(path.join(root, entry), path.join(scratch, entry));
    for (const file of ['package.json', 'esbuild.mjs', 'tsconfig.json']) copyFileSync(path.join(root, file), path.join(scratch, file));
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: scratch, stdio: 'inherit' });
    dist = path.join(scratch, 'dist');
  });
  after(async () => {
    await b?.person.close();
    if (b) rmSync(b.root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the CLI bundle holds none of the vendored libraries; zod v4 is only in cli-zod.js, once; the vendor bundles none of Dream.OS', () => {
    const cli = sources(path.join(dist, 'cli-main.js.map'));
    assert.deepEqual(cli.filter((s) => VENDORED.test(s) || /node_modules\/zod\//.test(s)), []);
    assert.ok(cli.some((s) => /(^|\/)src\/core\/hub\/client\.ts$/.test(s)));
    const serve = sources(path.join(dist, 'vendor', 'cli-serve.js.map'));
    const zod = sources(path.join(dist, 'vendor', 'cli-zod.js.map'));
    assert.ok(serve.some((s) => /@modelcontextprotocol\/sdk\//.test(s)) && serve.some((s) => /node_modules\/hono\//.test(s)));
    assert.ok(zod.some((s) => /node_modules\/zod\/v4\/classic\//.test(s)) && zod.some((s) => /node_modules\/zod\/v4\/mini\//.test(s)));
    assert.deepEqual(zod.filter((s) => (!/node_modules\/zod\//.test(s) && !/^cli-vendor/.test(s)) || /zod\/v3\//.test(s)), [], 'only zod v4 in cli-zod.js');
    assert.deepEqual(zod.filter((s) => /\.cjs$/.test(s) || (/locales\/(?!en\.js)/.test(s) && !s.startsWith('zod-en:'))), [], "zod's CommonJS copy or its other locales");
    for (const [name, list] of [['cli-serve.js', serve], ['cli-zod.js', zod]] as const) {
      assert.deepEqual(list.filter((s) => /(^|\/)src\//.test(s.replace(/.*node_modules\/.*/, ''))), [], `Dream.OS's own modules in ${name}`);
    }
    assert.deepEqual(serve.filter((s) => /node_modules\/zod\/(v4|index|v4-mini)/.test(s)), [], 'a second zod v4 in cli-serve.js');
  });

  it('`dreamos mcp` from the bundles serves tools whose schemas keep their descriptions', async () => {
    b = await mcpBoard('dreamos-cli-vendor-board-');
    const cred = await b.person.call({ type: 'credential.issue', agent: 'coder', label: 'vendor test' });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DREAMOS_')) env[k] = v;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(dist, 'cli.js'), 'mcp'],
      cwd: b.root,
      env: { ...env, DREAMOS_DIR: b.dir, DREAMOS_HUB_SOCKET: socketPathFor(b.dir), DREAMOS_AGENT_ID: b.agentId, DREAMOS_AGENT_TOKEN: cred.token, DREAMOS_COMPILE_CACHE: 'off' },
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const client = new Client({ name: 'cli-vendor-test', version: '1.0.0' });
    try {
      await client.connect(transport).catch((e: unknown) => {
        throw new Error(`dreamos mcp did not start (${String(e)}): ${err}`);
      });
      const { tools } = await client.listTools();
      const done = tools.find((t) => t.name === 'task_done');
      assert.ok(done, `no task_done among ${tools.map((t) => t.name).join(', ')}`);
      const props = done.inputSchema.properties as Record<string, { description?: string }>;
      assert.match(props.evidence?.description ?? '', /evidence of work/);
      const shown = await client.callTool({ name: 'task_show', arguments: { taskId: b.first.id } });
      assert.notEqual(shown.isError, true, JSON.stringify(shown));
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
