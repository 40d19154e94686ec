/** Upgrading a board keeps what it holds: named tokens keep their scope and name through every later migration. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executeCommand } from '../../src/core/commands';
import { migrate, SCHEMA_VERSION, TOKENS_SCHEMA_VERSION } from '../../src/core/store/migrations';
import { loadSqlJs, SqlJsTx } from '../../src/core/store/sqlite';

test('a board written right after named tokens were added keeps each token’s scope and name when this build upgrades it', async () => {
  const SQL = await loadSqlJs();
  const tx = new SqlJsTx(new SQL.Database());
  migrate(tx, TOKENS_SCHEMA_VERSION);
  assert.equal(tx.get<{ user_version: number }>('PRAGMA user_version')?.user_version, TOKENS_SCHEMA_VERSION);
  // A named token as that board had it (the columns of that schema).
  tx.run("INSERT INTO credentials (id, hash, scope, name, agent_id, task_id, label, created_by, created_at) VALUES ('crd_000000000001', 'h1', 'operator', 'phone', NULL, NULL, '', 'human', 1)");
  migrate(tx);
  assert.equal(tx.get<{ user_version: number }>('PRAGMA user_version')?.user_version, SCHEMA_VERSION);
  assert.deepEqual(tx.get('SELECT scope, name FROM credentials WHERE id = ?', ['crd_000000000001']), { scope: 'operator', name: 'phone' });
  const listed = executeCommand({ tx, now: Date.now(), actor: 'human' }, { type: 'token.list' }) as { name: string | null; scope: string }[];
  assert.ok(listed.some((t) => t.name === 'phone' && t.scope === 'operator'), JSON.stringify(listed));
});
