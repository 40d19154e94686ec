/** The Get Started walkthrough: every step's page ships, and every link and completion names a real command. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '../..');
interface Step { id: string; title: string; description: string; media: { markdown?: string }; completionEvents: string[] }
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { walkthroughs: { id: string; steps: Step[] }[]; commands: { command: string }[] } };
const ours = new Set(manifest.contributes.commands.map((c) => c.command));
const WORKBENCH = new Set(['workbench.action.files.openFolder']);

test('Get Started goes from opening a folder to reviewing an agent’s change, each step with its page', () => {
  const w = manifest.contributes.walkthroughs.find((x) => x.id === 'dreamos.getStarted');
  assert.ok(w, 'the walkthrough is contributed');
  assert.deepEqual(w.steps.map((s) => s.id), ['folder', 'board', 'agent', 'task', 'swarm', 'review']);
  for (const s of w.steps) {
    const page = path.join(root, s.media.markdown ?? '');
    assert.ok(s.media.markdown && existsSync(page), `${s.id}: ${s.media.markdown} ships`);
    const links = [...`${s.description}\n${readFileSync(page, 'utf8')}`.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
    assert.ok(links.length > 0, `${s.id} offers a button`);
    for (const c of links) assert.ok(ours.has(c) || WORKBENCH.has(c), `${s.id} links to ${c}, which exists`);
    for (const e of s.completionEvents) if (e.startsWith('onCommand:')) assert.ok(ours.has(e.slice(10)), `${s.id} completes on ${e}, a contributed command`);
  }
});
