/**
 * The API bench: what a request through `dreamos serve`'s REST API costs against the hub's own
 * socket protocol, in the same run against the same hub (a real `dreamos hub` process):
 *
 *   socket   BoardClient.call over the hub's socket, presenting an operator token
 *   api      node:http keep-alive client → the gateway on 127.0.0.1 (Host/Origin checks, rate
 *            limits, bearer token → that token's cached board connection, zod, hono, problem+json)
 *            → the same hub; the gateway in this process (sharing its event loop with the load)
 *   serve    the same requests to `dreamos serve` (the built dist/cli.js) in a process of its own,
 *            as it runs for real
 *
 * A read (GET /api/v1/tasks/{id} ↔ task.show) and a write (POST /api/v1/mail ↔ mail.send, fsynced
 * by the hub): p50 / p99 over BENCH_API_CALLS sequential calls, then throughput with
 * BENCH_API_CONCURRENCY requests in flight for BENCH_API_SECONDS; each API figure printed as a
 * ratio to the socket's. Printed, never asserted.
 *
 *   node --import tsx bench/api.bench.ts   Env: BENCH_API_CALLS=500 BENCH_API_CONCURRENCY=16 BENCH_API_SECONDS=3 BENCH_RESULTS=<file>
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { connectBoard } from '../src/core/hub/connect';
import { startGateway } from '../src/integrations/http/gateway';
import type { Figure } from './dashboard.bench';

const CALLS = Number(process.env.BENCH_API_CALLS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 3);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/cli.js');
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const figure = (f: Figure) => process.env.BENCH_RESULTS && appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(30, n); i++) await fn(i); // warm up (connections, JIT)
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

/** Requests per second with `c` in flight for `seconds`. */
async function throughput(c: number, seconds: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < until) await fn(done++);
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: c }, worker));
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** `dreamos serve` from the build, without rate limits in the way; undefined if it does not start. */
async function startServe(dir: string): Promise<{ port: number; child: ChildProcess } | undefined> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--no-dashboard', '--rate-per-token', '1000000000', '--rate-per-address', '1000000000', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 30_000;
  while (!/Press Ctrl\+C/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port: Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]), child };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-api-'));
  const dir = path.join(root, '.dreamos');
  // The person's connection starts a detached hub process (as the CLI does): both paths reach it over its socket.
  const person = await connectBoard({ dir, client: 'bench', hubMode: 'spawn', actor: 'human:bench', spawn: { command: process.execPath, args: [CLI, 'hub', '--dir', dir] } });
  const task = await person.call({ type: 'task.add', title: 'A task to look at', description: 'x'.repeat(400) });
  const { token } = await person.call({ type: 'token.create', name: 'bench-ops', scope: 'operator' });
  const socket = await connectBoard({ dir, client: 'bench-socket', hubMode: 'never', credential: token });
  const gateway = await startGateway({ connection: person, dir, workspace: root, dashboard: false, rateLimits: { perAddress: { points: 1e9, seconds: 1 }, perToken: { points: 1e9, seconds: 1 } } });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const served = await startServe(dir);
  const api = (port: number) => (method: string, p: string, body?: unknown) =>
    new Promise<void>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { agent, host: '127.0.0.1', port, method, path: p, headers: { Authorization: `Bearer ${token}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(data)) } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(`${method} ${p}: ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  const mail = (i: number) => ({ to: { kind: 'human' as const }, subject: `note ${i}`, body: 'progress' });
  const inProcess = api(gateway.port);
  const viaServe = served && api(served.port);
  const paths = {
    read: {
      socket: () => socket.call({ type: 'task.show', taskId: task.id }),
      api: () => inProcess('GET', `/api/v1/tasks/${task.id}`),
      serve: viaServe && (() => viaServe('GET', `/api/v1/tasks/${task.id}`)),
    },
    write: {
      socket: (i: number) => socket.call({ type: 'mail.send', from: 'human', ...mail(i) }),
      api: (i: number) => inProcess('POST', '/api/v1/mail', mail(i)),
      serve: viaServe && ((i: number) => viaServe('POST', '/api/v1/mail', mail(i))),
    },
  };
  if (!served) console.log('(no serve row: dist/cli.js could not start `dreamos serve` with these flags; run `npm run build` first)');

  console.log(`REST API vs the hub's socket protocol: ${CALLS} sequential calls each, then ${CONCURRENCY} in flight for ${SECONDS} s; one hub process, load average ${load()}`);
  console.log(`${'call'.padEnd(8)}${'path'.padEnd(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'req/s'.padStart(10)}${'p50 ×'.padStart(8)}${'p99 ×'.padStart(8)}${'req/s ×'.padStart(9)}`);
  for (const [call, fns] of Object.entries(paths)) {
    const s = await time(CALLS, fns.socket);
    const a = await time(CALLS, fns.api);
    const sRate = await throughput(CONCURRENCY, SECONDS, fns.socket);
    const aRate = await throughput(CONCURRENCY, SECONDS, fns.api);
    const row = (name: string, xs: number[], rate: number, base?: { xs: number[]; rate: number }) =>
      console.log(
        `${call.padEnd(8)}${name.padEnd(10)}${pct(xs, 50).toFixed(2).padStart(9)}${pct(xs, 99).toFixed(2).padStart(9)}${rate.toFixed(0).padStart(10)}` +
          (base ? `${(pct(xs, 50) / pct(base.xs, 50)).toFixed(2).padStart(8)}${(pct(xs, 99) / pct(base.xs, 99)).toFixed(2).padStart(8)}${(rate / base.rate).toFixed(2).padStart(9)}` : ''),
      );
    row('socket', s, sRate);
    row('api', a, aRate, { xs: s, rate: sRate });
    if (fns.serve) {
      const v = await time(CALLS, fns.serve);
      const vRate = await throughput(CONCURRENCY, SECONDS, fns.serve);
      row('serve', v, vRate, { xs: s, rate: sRate });
      const vNote = `serve p50 ${pct(v, 50).toFixed(2)} ms p99 ${pct(v, 99).toFixed(2)} ms ${vRate.toFixed(0)} req/s; socket p50 ${pct(s, 50).toFixed(2)} ms ${sRate.toFixed(0)} req/s`;
      figure({ bench: 'api', name: `API (dreamos serve) ${call} p50 / socket p50`, value: pct(v, 50) / pct(s, 50), unit: 'x', note: vNote });
      figure({ bench: 'api', name: `API (dreamos serve) ${call} throughput / socket throughput`, value: vRate / sRate, unit: 'x', note: vNote });
    }
    const note = `api p50 ${pct(a, 50).toFixed(2)} ms p99 ${pct(a, 99).toFixed(2)} ms ${aRate.toFixed(0)} req/s; socket p50 ${pct(s, 50).toFixed(2)} ms p99 ${pct(s, 99).toFixed(2)} ms ${sRate.toFixed(0)} req/s`;
    figure({ bench: 'api', name: `API ${call} p50 / socket p50`, value: pct(a, 50) / pct(s, 50), unit: 'x', note });
    figure({ bench: 'api', name: `API ${call} p99 / socket p99`, value: pct(a, 99) / pct(s, 99), unit: 'x', note });
    figure({ bench: 'api', name: `API ${call} throughput / socket throughput`, value: aRate / sRate, unit: 'x', note });
  }

  agent.destroy();
  served?.child.kill('SIGINT');
  await gateway.close();
  await socket.close();
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
