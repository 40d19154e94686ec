// Dream.OS: Start API Server and the API token commands in the editor (issue 16): a token made
// from the palette works on the server the window starts, writes are recorded under its name,
// revoking it from the palette refuses it at once, and Stop closes the port.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ApiServerInfo } from '../../src/extension/api/apiServer';
import { test } from './registry';

test('Start API Server serves the board to a palette-made token; Revoke refuses it; Stop closes the port', async () => {
  const made = await vscode.commands.executeCommand<{ token: string; name: string }>('dreamos.token.create', { name: 'suite-api', scope: 'operator' });
  assert.ok(made?.token.startsWith('dost_'), 'the token is returned once');
  const server = await vscode.commands.executeCommand<ApiServerInfo>('dreamos.api.start', { quiet: true });
  assert.ok(server && /^http:\/\/127\.0\.0\.1:\d+$/.test(server.origin), 'loopback only');
  try {
    const headers = { Authorization: `Bearer ${made.token}`, 'Content-Type': 'application/json' };
    const added = await fetch(`${server.origin}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ title: 'From the API, in the editor' }) });
    assert.equal(added.status, 201);
    assert.equal(((await added.json()) as { createdBy: string }).createdBy, 'token:suite-api');
    assert.equal((await fetch(`${server.origin}/openapi.json`)).status, 200);
    assert.equal((await fetch(`${server.origin}/api/v1/tasks`)).status, 401, 'no token, no board');
    await vscode.commands.executeCommand('dreamos.token.revoke', 'suite-api');
    assert.equal((await fetch(`${server.origin}/api/v1/tasks`, { headers })).status, 401, 'revoked from the palette');
  } finally {
    assert.equal(await vscode.commands.executeCommand('dreamos.api.stop', { quiet: true }), true);
  }
  await assert.rejects(fetch(`${server.origin}/api/v1/health`), 'the port is closed');
}, 60_000);
