// The JSON schemas of the board folder's config files (schemas/*.schema.json): generated from the
// zod schemas that validate the files at run time, checked in, contributed to the editor through
// package.json's jsonValidation. Stale schemas fail here; real example files validate against them
// (with ajv, a real JSON-schema validator, draft-07 like the editor's JSON language service).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { parseSwarmConfig } from '../../src/core/loop/agentsConfig';
import { CONFIG_FILES, configSchemaText, jsonValidation } from '../../src/schemas/configSchemas';

const root = path.resolve(__dirname, '../..');
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const ajv = new Ajv({ allErrors: true, strict: false });
const validator = (file: string) => {
  const c = CONFIG_FILES.find((x) => x.file === file)!;
  return ajv.compile(JSON.parse(read(`schemas/${c.schema}`)));
};
const valid = (file: string, value: unknown) => {
  const v = validator(file);
  const ok = v(value);
  return { ok, errors: JSON.stringify(v.errors) };
};

describe('config file JSON schemas', () => {
  it('are up to date with the zod schemas (run `npm run gen:schemas` after changing one)', () => {
    for (const c of CONFIG_FILES) assert.equal(read(`schemas/${c.schema}`), configSchemaText(c), `schemas/${c.schema} is stale: run npm run gen:schemas and commit it`);
  });

  it('are contributed to the editor for each file under .dreamos/', () => {
    const pkg = JSON.parse(read('package.json'));
    assert.deepEqual(pkg.contributes.jsonValidation, jsonValidation());
    assert.deepEqual(jsonValidation().map((j) => j.fileMatch), ['**/.dreamos/agents.json', '**/.dreamos/worktrees.json', '**/.dreamos/checks.json', '**/.dreamos/discord.json', '**/.dreamos/tasks.json']);
    assert.ok(read('.vscodeignore').includes('!schemas/*.schema.json'), 'the schemas ship in the .vsix');
  });

  it('describe the fields, so completion explains them', () => {
    const agents = JSON.parse(read('schemas/agents.schema.json'));
    assert.match(agents.properties.maxConcurrent.description, /at the same time/);
    const preset = agents.properties.agents.items.anyOf.find((b: { properties: Record<string, unknown> }) => b.properties.preset && b.properties.model);
    assert.deepEqual(preset.properties.preset.enum, ['claude', 'codex', 'gemini', 'opencode', 'cursor-agent', 'aider']);
    assert.ok(preset.properties.model.description);
    const tasks = JSON.parse(read('schemas/tasks.schema.json'));
    assert.ok(JSON.stringify(tasks).includes('must be done before this one is ready'));
  });

  it('accept the real example files, and the runtime accepts them too', () => {
    const demoAgents = JSON.parse(read('demo/.dreamos/agents.json'));
    let r = valid('agents.json', demoAgents);
    assert.ok(r.ok, r.errors);
    parseSwarmConfig(demoAgents);
    r = valid('tasks.json', JSON.parse(read('demo/.dreamos/tasks.json')));
    assert.ok(r.ok, r.errors);
    // The README's examples.
    const readmeAgents = {
      $schema: '../schemas/agents.schema.json',
      budget: { task: { usd: 2 }, agentDay: { usd: 10, tokens: 5000000 }, swarmDay: { usd: 30 } },
      prices: { 'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 } },
      agents: [
        { name: 'claude-1', preset: 'claude', model: 'sonnet', budget: { task: { usd: 0.5 } }, mcp: true },
        { name: 'codex-1', preset: 'codex' },
        { name: 'lm', driver: 'language-model', model: { vendor: 'copilot' } },
        { name: 'script', preset: 'command', command: 'node', args: ['agent.js'] },
      ],
    };
    r = valid('agents.json', readmeAgents);
    assert.ok(r.ok, r.errors);
    parseSwarmConfig(readmeAgents);
    r = valid('worktrees.json', { copy: ['.env'], link: ['node_modules'], run: [['npm', 'ci']], ports: { base: 20000, size: 10 } });
    assert.ok(r.ok, r.errors);
    r = valid('checks.json', { checks: [{ name: 'tests', command: ['npm', 'test'] }], postApply: [] });
    assert.ok(r.ok, r.errors);
    r = valid('checks.json', [{ name: 'tests', command: ['npm', 'test'] }]);
    assert.ok(r.ok, r.errors);
    r = valid('discord.json', { applicationId: '123456789012345678', guildId: '123456789012345678', transport: 'gateway' });
    assert.ok(r.ok, r.errors);
  });

  it('refuse what the runtime refuses: an unknown driver or field, a bad priority, a shell-string check', () => {
    assert.equal(valid('agents.json', { agents: [{ name: 'x', driver: 'robot' }] }).ok, false);
    assert.equal(valid('agents.json', { agents: [{ name: 'x', preset: 'claude', colour: 'red' }] }).ok, false);
    assert.equal(valid('tasks.json', { tasks: [{ title: 't', priority: 'hi' }] }).ok, false);
    assert.equal(valid('checks.json', { checks: [{ name: 'tests', command: 'npm test' }] }).ok, false);
    assert.equal(valid('worktrees.json', { run: 'npm ci' }).ok, false);
  });
});
