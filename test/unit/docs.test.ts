/** The reference docs are generated from the sources; this fails when a checked-in page is stale. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderDocs, ROOT } from '../../scripts/docs/render';
import { ROUTES } from '../../src/integrations/api/routes';
import { INPUT } from '../../src/integrations/mcp/mcpSchemas';

const pages = renderDocs();

test('every generated reference page is checked in and current (run `npm run docs` if not)', () => {
  for (const [file, text] of pages) {
    const abs = path.join(ROOT, 'docs', file);
    assert.ok(existsSync(abs), `docs/${file} is missing: run \`npm run docs\` and commit it`);
    assert.equal(readFileSync(abs, 'utf8'), text, `docs/${file} is stale: run \`npm run docs\` and commit it`);
  }
});

test('the pages cover what a person looks up: every CLI command, board command, setting and editor command', () => {
  const cli = pages.get('reference/cli.md')!;
  for (const c of ['task add', 'swarm start', 'worktree land', 'agent add']) assert.ok(cli.includes(`## \`dreamos ${c}\``), `cli.md documents dreamos ${c}`);
  const board = pages.get('reference/board-commands.md')!;
  assert.match(board, /## `task\.add`\n\nWho may run it: the person, operator and admin tokens; an agent as itself\./);
  assert.match(board, /## `token\.create`\n\nWho may run it: the person and admin tokens\./);
  assert.match(board, /\| `title` \| string \(≤ 200\) \| yes \|/);
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: unknown; commands: { command: string }[] } };
  const cfg = manifest.contributes.configuration;
  const settings = (Array.isArray(cfg) ? cfg : [cfg]).flatMap((g: { properties?: object }) => Object.keys(g.properties ?? {}));
  for (const s of settings) assert.ok(pages.get('reference/settings.md')!.includes(`\`${s}\``), `settings.md documents ${s}`);
  for (const c of manifest.contributes.commands) assert.ok(pages.get('reference/editor-commands.md')!.includes(`\`${c.command}\``), `editor-commands.md documents ${c.command}`);
  assert.match(pages.get('reference/config-files.md')!, /## `\.dreamos\/agents\.json`/);
  for (const r of ROUTES) assert.ok(pages.get('reference/rest-api.md')!.includes(`### \`${r.method.toUpperCase()} ${r.path}\``), `rest-api.md documents ${r.method} ${r.path}`);
  for (const t of Object.keys(INPUT)) assert.ok(pages.get('reference/mcp.md')!.includes(`### \`${t}\``), `mcp.md documents the ${t} tool`);
});
