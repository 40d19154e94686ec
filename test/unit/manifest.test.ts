import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributes = pkg.contributes;

describe('extension manifest', () => {
  it('identifies Dream.OS and supports VS Code 1.96 (and Cursor) or newer', () => {
    assert.equal(pkg.name, 'dreamos');
    assert.equal(pkg.displayName, 'Dream.OS');
    assert.ok(pkg.publisher);
    assert.equal(pkg.engines.vscode, '^1.96.0');
    assert.ok(existsSync(path.join(root, pkg.icon)), 'icon exists');
    assert.ok(pkg.repository?.url);
    assert.ok(pkg.categories.length && pkg.keywords.length);
  });

  it('activates lazily, never on *', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  });

  it('puts every command under the Dream.OS category', () => {
    for (const c of contributes.commands) assert.equal(c.category, 'Dream.OS', c.command);
  });

  it('every menu entry refers to a declared command', () => {
    const declared = new Set(contributes.commands.map((c: { command: string }) => c.command));
    for (const [menu, entries] of Object.entries(contributes.menus) as [string, { command: string }[]][]) {
      for (const e of entries) assert.ok(declared.has(e.command), `${menu} uses undeclared ${e.command}`);
    }
  });

  it('declares exactly the commands the extension registers (static check; the editor suite checks it live)', () => {
    const source = readFileSync(path.join(root, 'src/extension/editorCommands.ts'), 'utf8');
    const registered = new Set([...source.matchAll(/^ {2}'(dreamos\.[\w.]+)': async/gm)].map((m) => m[1]));
    const declared = new Set(contributes.commands.map((c: { command: string }) => c.command));
    assert.deepEqual([...declared].filter((c) => !registered.has(c as string)), [], 'declared but not registered');
    assert.deepEqual([...registered].filter((c) => !declared.has(c)), [], 'registered but not declared');
  });

  const categories = contributes.configuration as { title: string; order: number; properties: Record<string, { description?: string; markdownDescription?: string }> }[];

  it('describes every setting', () => {
    const props = Object.assign({}, ...categories.map((c) => c.properties)) as Record<string, { description?: string; markdownDescription?: string }>;
    assert.ok(Object.keys(props).length > 0);
    for (const [k, v] of Object.entries(props)) assert.ok((v.description ?? v.markdownDescription ?? '').length > 20, `${k} needs a description`);
  });

  it('groups the settings into titled categories, the board first and Discord after the everyday ones', () => {
    assert.ok(Array.isArray(categories), 'contributes.configuration is a list of categories');
    const titles = categories.map((c) => c.title);
    for (const t of titles) assert.match(t, /^Dream\.OS: (Board|Agents|Proposals and review|Worktrees|Dashboard|Discord|Desktop)$/);
    assert.equal(titles[0], 'Dream.OS: Board');
    assert.ok(titles.indexOf('Dream.OS: Discord') > titles.indexOf('Dream.OS: Proposals and review'));
    assert.deepEqual(categories.map((c) => c.order), [...categories.map((c) => c.order)].sort((a, b) => a - b), 'in order');
    const seen = new Map<string, string>();
    for (const c of categories) {
      assert.ok(Object.keys(c.properties).length > 0, `${c.title} is not empty`);
      for (const id of Object.keys(c.properties)) {
        assert.ok(!seen.has(id), `${id} is in ${seen.get(id)} and ${c.title}`);
        seen.set(id, c.title);
      }
    }
    const where = (id: string) => seen.get(id);
    for (const id of seen.keys()) {
      if (id.startsWith('dreamos.discord.')) assert.equal(where(id), 'Dream.OS: Discord', id);
      if (id.startsWith('dreamos.desktop.')) assert.equal(where(id), 'Dream.OS: Desktop', id);
      if (id.startsWith('dreamos.proposals.')) assert.equal(where(id), 'Dream.OS: Proposals and review', id);
    }
    assert.equal(where('dreamos.boardDirectory'), 'Dream.OS: Board');
    assert.equal(where('dreamos.stallSeconds'), 'Dream.OS: Agents');
  });

  it('has the Dream.OS activity bar with Tasks and Agents views and welcome content', () => {
    assert.deepEqual(contributes.viewsContainers.activitybar.map((c: { id: string; title: string }) => [c.id, c.title]), [['dreamos', 'Dream.OS']]);
    assert.deepEqual(contributes.views.dreamos.map((v: { name: string }) => v.name), ['Needs You', 'Tasks', 'Proposals', 'Worktrees', 'Agents']);
    const welcomed = new Set(contributes.viewsWelcome.map((w: { view: string }) => w.view));
    assert.ok(welcomed.has('dreamos.tasks') && welcomed.has('dreamos.agents') && welcomed.has('dreamos.worktrees'));
  });
});
