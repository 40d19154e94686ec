/**
 * The injection lock across real processes: exclusive while held, free the moment the holder dies
 * (even by SIGKILL), a clear "busy" message naming the holder, and the lock-file variant's stale
 * takeover. No display needed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireInputLock, LockBusyError, type LockKind } from '../../src/integrations/desktop/inputLock';

const LOCK = path.resolve(__dirname, '../../src/integrations/desktop/inputLock.ts');

/** A process that takes the lock, prints "held", and keeps it until killed. */
function holder(kind: LockKind, scope: string, dir: string): Promise<ChildProcess> {
  const code = `const { acquireInputLock } = require(${JSON.stringify(LOCK)});
acquireInputLock({ kind: ${JSON.stringify(kind)}, scope: ${JSON.stringify(scope)}, dir: ${JSON.stringify(dir)} })
  .then(() => { console.log('held'); setInterval(() => {}, 1000); }, (e) => { console.error(e); process.exit(3); });`;
  const c = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve(c));
    c.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

for (const kind of ['socket', 'file'] as const) {
  describe(`input lock (${kind})`, () => {
    it('is exclusive across processes, names the holder when busy, and frees at once when the holder is killed', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lock-'));
      const scope = `test-${process.pid}-${kind}`;
      const child = await holder(kind, scope, dir);
      try {
        await assert.rejects(acquireInputLock({ kind, scope, dir, timeoutMs: 300 }), (err: Error) => err instanceof LockBusyError && err.message.includes(`pid ${child.pid}`));
        const waiting = acquireInputLock({ kind, scope, dir, timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 200));
        const killedAt = Date.now();
        child.kill('SIGKILL');
        const lock = await waiting;
        const tookOverMs = Date.now() - killedAt;
        assert.ok(tookOverMs < 2_000, `taken ${tookOverMs} ms after the holder died`);
        assert.ok(await lock.stillHeld());
        await lock.release();
        assert.equal(await lock.stillHeld(), false);
        const again = await acquireInputLock({ kind, scope, dir, timeoutMs: 1_000 });
        await again.release();
      } finally {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('serialises callers in one process in order', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lock-'));
      const scope = `test-${process.pid}-${kind}-local`;
      const order: string[] = [];
      try {
        await Promise.all(
          ['a', 'b', 'c'].map(async (name) => {
            const l = await acquireInputLock({ kind, scope, dir });
            order.push(`${name}+`);
            await new Promise((r) => setTimeout(r, 20));
            order.push(`${name}-`);
            await l.release();
          }),
        );
        assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('gives up when aborted', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lock-'));
      const scope = `test-${process.pid}-${kind}-abort`;
      const first = await acquireInputLock({ kind, scope, dir });
      try {
        const ac = new AbortController();
        const waiting = acquireInputLock({ kind, scope, dir, signal: ac.signal, timeoutMs: 10_000 });
        setTimeout(() => ac.abort(new Error('stopped')), 50);
        await assert.rejects(waiting, /stopped/);
      } finally {
        await first.release();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('input lock file: stale records', () => {
  it('takes over a lock whose owner is dead, and one too old to be a live injection', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lock-'));
    try {
      const scope = `stale-${process.pid}`;
      const file = path.join(dir, `dreamos-input-${process.getuid!()}-${scope}.lock`);
      writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), nonce: 'dead', at: Date.now() }));
      const a = await acquireInputLock({ kind: 'file', scope, dir, timeoutMs: 2_000 });
      await a.release();
      writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname(), nonce: 'old', at: Date.now() - 10 * 60_000 }));
      const b = await acquireInputLock({ kind: 'file', scope, dir, timeoutMs: 2_000 });
      await b.release();
      writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname(), nonce: 'live', at: Date.now() }));
      await assert.rejects(acquireInputLock({ kind: 'file', scope, dir, timeoutMs: 200 }), LockBusyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
