/**
 * `dreamos`: the headless host of the same core. People script the board with it, CI drives it,
 * and agents report back through it (`dreamos task done <id> --summary ...`). It finds the
 * workspace's running hub or starts one; `--json` gives machine-readable output everywhere.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandInput } from '../core/commands';
import { DreamError, type ErrorCode } from '../core/errors';
import type { BoardEvent } from '../core/events/events';
import { connectBoard } from '../core/hub/connect';
import { readDescriptor } from '../core/hub/descriptor';
import { inspectLock, isForeign, unlockBoard } from '../core/hub/lock';
import type { Agent, Message, Task } from '../core/board/model';
import type { ConfigView } from '../core/board/boardConfig';
import type { Proposal } from '../core/proposals/model';

/*
 * What a client call needs (argv, the hub connection, the answer) is all that loads up front: agents
 * run `dreamos` on every report, so the hub (engine, sql.js, the command schemas; see connect.ts),
 * zod, the swarm, the dashboard, Discord and the proposal machinery load only in the commands that
 * use them. Each is a module of this same bundle, evaluated on its first require.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- modules of this bundle, evaluated on first use */
const lazy = <M>(load: () => M): (() => M) => {
  let m: M | undefined;
  return () => (m ??= load());
};
const hub = lazy(() => require('../core/hub/connect') as typeof import('../core/hub/connect'));
const discordPlane = lazy(() => require('../integrations/discord/controlPlane') as typeof import('../integrations/discord/controlPlane'));
const swarmHost = lazy(() => require('../integrations/drivers/swarmHost') as typeof import('../integrations/drivers/swarmHost'));
const swarm = lazy(() => require('../core/loop/swarm') as typeof import('../core/loop/swarm'));
const interrupt = lazy(() => require('../integrations/untilInterrupted') as typeof import('../integrations/untilInterrupted'));
const dashboardServer = lazy(() => require('../integrations/http/dashboardServer') as typeof import('../integrations/http/dashboardServer'));
const format = lazy(() => require('./format') as typeof import('./format'));
const approval = lazy(() => require('../core/proposals/approval') as typeof import('../core/proposals/approval'));
const apply = lazy(() => require('../core/proposals/apply') as typeof import('../core/proposals/apply'));
const prepare = lazy(() => require('../core/proposals/prepare') as typeof import('../core/proposals/prepare'));
const safety = lazy(() => require('../core/proposals/safety') as typeof import('../core/proposals/safety'));
const json = lazy(() => require('../core/json') as typeof import('../core/json'));
/* eslint-enable @typescript-eslint/no-require-imports */
type Hub = typeof import('../core/hub/connect');
type Format = typeof import('./format');
const runHub: Hub['runHub'] = (...a) => hub().runHub(...a);
const stopHub: Hub['stopHub'] = (...a) => hub().stopHub(...a);
const runDiscordCommand: typeof import('../integrations/discord/controlPlane')['runDiscordCommand'] = (...a) => discordPlane().runDiscordCommand(...a);
const swarmStart: typeof import('../integrations/drivers/swarmHost')['swarmStart'] = (...a) => swarmHost().swarmStart(...a);
const swarmStop: typeof import('../integrations/drivers/swarmHost')['swarmStop'] = (...a) => swarmHost().swarmStop(...a);
const swarmStatus: typeof import('../integrations/drivers/swarmHost')['swarmStatus'] = (...a) => swarmHost().swarmStatus(...a);
const controlAgent: typeof import('../core/loop/swarm')['controlAgent'] = (...a) => swarm().controlAgent(...a);
const untilInterrupted: typeof import('../integrations/untilInterrupted')['untilInterrupted'] = (...a) => interrupt().untilInterrupted(...a);
const runDashboardCommand: typeof import('../integrations/http/dashboardServer')['runDashboardCommand'] = (...a) => dashboardServer().runDashboardCommand(...a);
const formatAgent: Format['formatAgent'] = (...a) => format().formatAgent(...a);
const formatEvent: Format['formatEvent'] = (...a) => format().formatEvent(...a);
const formatMessage: Format['formatMessage'] = (...a) => format().formatMessage(...a);
const formatTask: Format['formatTask'] = (...a) => format().formatTask(...a);
const formatTaskDetails: Format['formatTaskDetails'] = (...a) => format().formatTaskDetails(...a);
const approveAndApply: typeof import('../core/proposals/approval')['approveAndApply'] = (...a) => approval().approveAndApply(...a);
const boardWorkspace: typeof import('../core/proposals/approval')['boardWorkspace'] = (...a) => approval().boardWorkspace(...a);
const checkAgain: typeof import('../core/proposals/approval')['checkAgain'] = (...a) => approval().checkAgain(...a);
const restoreRecoveryPoint: typeof import('../core/proposals/apply')['restoreRecoveryPoint'] = (...a) => apply().restoreRecoveryPoint(...a);
const nodeWriter: typeof import('../core/proposals/apply')['nodeWriter'] = { write: (...a) => apply().nodeWriter.write(...a), delete: (...a) => apply().nodeWriter.delete(...a) };
const prepareSubmission: typeof import('../core/proposals/prepare')['prepareSubmission'] = (...a) => prepare().prepareSubmission(...a);
const checkProposalPath: typeof import('../core/proposals/safety')['checkProposalPath'] = (...a) => safety().checkProposalPath(...a);
const parseJson: typeof import('../core/json')['parseJson'] = (...a) => json().parseJson(...a);

/** Exit codes scripts can rely on. */
export const EXIT: Record<ErrorCode | 'ok' | 'usage', number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalid_input: 2,
  not_found: 3,
  conflict: 4,
  stale_token: 4,
  invalid_transition: 4,
  cycle: 4,
  vetoed: 4,
  unavailable: 5,
  unauthorized: 6,
};

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;
interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
interface Sub {
  usage: string;
  options?: Options;
  /** Returns the command to send, or runs itself (hub, events --follow). */
  build?: (pos: string[], v: Values, env: Env) => CommandInput;
  run?: (pos: string[], v: Values, env: Env, io: Io) => Promise<number>;
  print?: (result: unknown) => string;
}
interface Env {
  dir: string;
  actor: string;
  json: boolean;
}

const str = (v: Values, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
const list = (v: Values, k: string) => (Array.isArray(v[k]) ? (v[k] as string[]) : []);
const int = (v: Values, k: string) => {
  const s = str(v, k);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new DreamError('invalid_input', `--${k} must be a whole number, got "${s}".`);
  return Number(s);
};
function need(pos: string[], i: number, what: string): string {
  const v = pos[i];
  if (v === undefined) throw new DreamError('invalid_input', `Missing ${what}.`);
  return v;
}
const tokenOf = (v: Values) => int(v, 'token') ?? (process.env.DREAMOS_LEASE_TOKEN ? Number(process.env.DREAMOS_LEASE_TOKEN) : undefined);
const agentOf = (v: Values) => str(v, 'agent') ?? process.env.DREAMOS_AGENT_ID;
function evidence(v: Values) {
  return list(v, 'evidence').map((e) => {
    const m = /^([a-z_]+):(.+)$/s.exec(e);
    if (!m) throw new DreamError('invalid_input', `--evidence takes kind:summary (e.g. test:"42 passed"), got "${e}".`);
    return { kind: m[1] as 'note', summary: m[2]! };
  });
}
const listOf = <T>(f: (x: T) => string) => (r: unknown) => ((r as T[]).length ? (r as T[]).map(f).join('\n') : '(none)');
const tokenOpt = { token: { type: 'string' } } as const;

const SUBS: Record<string, Sub> = {
  init: { usage: 'init', build: () => ({ type: 'board.info' }), print: () => 'Board ready.' },
  info: { usage: 'info', build: () => ({ type: 'board.info' }), print: (r) => JSON.stringify(r, null, 2) },
  'config get': {
    usage: 'config get [key]   the board\'s own settings (they apply wherever the hub runs: every window, the CLI, agents)',
    run: async (p, _v, env, io) => {
      const client = await connect(env);
      try {
        const view = await client.call({ type: 'board.config.get' });
        const key = p[0];
        if (key !== undefined) {
          const s = view.settings.find((x) => x.key === key);
          if (!s) throw new DreamError('invalid_input', `There is no board setting "${key}". Board settings: ${view.settings.map((x) => x.key).join(', ')}.`);
          io.out(env.json ? JSON.stringify(s) : String(s.value));
        } else {
          io.out(env.json ? JSON.stringify(view) : view.settings.map((s) => `${s.key} = ${String(s.value)}${s.set ? '' : ' (default)'}   ${s.allowed}. ${s.what}`).join('\n'));
        }
      } finally {
        await client.close();
      }
      return 0;
    },
  },
  'config set': {
    usage: 'config set <key> <value>   store a setting on the board ("default" resets it); see `dreamos config get` for keys and allowed values',
    build: (p) => {
      const key = need(p, 0, 'the setting (see `dreamos config get`)');
      const value = need(p, 1, `the value for ${key}`);
      return { type: 'board.config.set', values: { [key]: value === 'default' ? null : value } };
    },
    print: (r) => {
      const v = r as ConfigView & { changed: string[] };
      return v.changed.length ? `Stored on the board: ${v.changed.map((k) => `${k} = ${String(v.config[k as keyof typeof v.config])}`).join(', ')}` : 'Unchanged.';
    },
  },
  hub: {
    usage: 'hub [--idle-minutes N]   run the hub in the foreground',
    options: { 'idle-minutes': { type: 'string' } },
    run: async (_p, v, env) => {
      const idle = int(v, 'idle-minutes');
      await runHub(env.dir, { ...(idle !== undefined ? { idleMs: idle * 60_000 } : {}) });
      return 0;
    },
  },
  'hub stop': {
    usage: 'hub stop   stop the background hub of this board (an editor-hosted hub stops with its window)',
    run: async (_p, _v, env, io) => {
      const stopped = await stopHub(env.dir);
      io.out(env.json ? JSON.stringify({ stopped }) : stopped ? 'Hub stopped.' : 'No hub was running.');
      return 0;
    },
  },
  'hub status': {
    usage: 'hub status   who owns this board right now',
    run: async (_p, _v, env, io) => {
      const lock = inspectLock(env.dir);
      const desc = readDescriptor(env.dir);
      const status = {
        dir: env.dir,
        state: lock.state,
        pid: lock.state === 'free' ? null : lock.info.pid,
        host: lock.state === 'free' ? null : lock.info.hostname,
        standalone: desc?.standalone ?? false,
        socket: lock.state === 'alive' ? (desc?.socketPath ?? null) : null,
        startedAt: desc?.startedAt ?? null,
      };
      io.out(
        env.json
          ? JSON.stringify(status)
          : lock.state === 'alive' && isForeign(lock.info)
            ? `Hub running on another machine: host "${status.host}", pid ${status.pid}, since ${new Date(lock.info.startedAt).toISOString()}. Stop it there, or run \`dreamos hub unlock --force\` if that machine is gone.`
            : lock.state === 'alive'
            ? `Hub running: pid ${status.pid} (${status.standalone ? 'dreamos hub' : 'an editor window'}), socket ${status.socket}`
            : lock.state === 'dead'
              ? `No live hub (pid ${status.pid} is gone; the next client takes over).`
              : 'No hub running.',
      );
      return 0;
    },
  },
  'hub unlock': {
    usage: 'hub unlock [--force]   remove the lock of a hub that is gone (--force: one held by another machine that is gone)',
    options: { force: { type: 'boolean' } },
    run: async (_p, v, env, io) => {
      const r = unlockBoard(env.dir, { force: v.force === true });
      io.out(env.json ? JSON.stringify(r) : r.message);
      return 0;
    },
  },
  'task add': {
    usage: 'task add <title> [--priority low|normal|high|critical] [--kind k] [--description d] [--tag t]... [--requires cap]... [--depends-on id]... [--parent id]',
    options: { priority: { type: 'string' }, kind: { type: 'string' }, description: { type: 'string' }, tag: { type: 'string', multiple: true }, requires: { type: 'string', multiple: true }, 'depends-on': { type: 'string', multiple: true }, parent: { type: 'string' } },
    build: (p, v) => ({
      type: 'task.add',
      title: need(p, 0, 'the task title'),
      ...(str(v, 'priority') ? { priority: str(v, 'priority') as 'normal' } : {}),
      ...(str(v, 'kind') ? { kind: str(v, 'kind') as 'feature' } : {}),
      ...(str(v, 'description') ? { description: str(v, 'description')! } : {}),
      tags: list(v, 'tag'),
      requires: list(v, 'requires'),
      dependsOn: list(v, 'depends-on'),
      ...(str(v, 'parent') ? { parentId: str(v, 'parent')! } : {}),
    }),
    print: (r) => formatTask(r as Task),
  },
  'task list': {
    usage: 'task list [--status s]... [--assignee agent] [--tag t]',
    options: { status: { type: 'string', multiple: true }, assignee: { type: 'string' }, tag: { type: 'string' } },
    build: (_p, v) => ({ type: 'task.list', ...(list(v, 'status').length ? { status: list(v, 'status') as Task['status'][] } : {}), ...(str(v, 'assignee') ? { assignee: str(v, 'assignee')! } : {}), ...(str(v, 'tag') ? { tag: str(v, 'tag')! } : {}) }),
    print: listOf(formatTask),
  },
  'task show': { usage: 'task show <id>', build: (p) => ({ type: 'task.show', taskId: need(p, 0, 'the task id') }), print: (r) => formatTaskDetails(r as Parameters<typeof formatTaskDetails>[0]) },
  'task next': {
    usage: 'task next --agent <agent> [--lease-seconds N]   claim the best ready task',
    options: { agent: { type: 'string' }, 'lease-seconds': { type: 'string' } },
    build: (_p, v) => ({ type: 'task.claimNext', agentId: agentOf(v) ?? need([], 0, '--agent (or DREAMOS_AGENT_ID)'), ...(int(v, 'lease-seconds') ? { leaseMs: int(v, 'lease-seconds')! * 1000 } : {}) }),
    print: (r) => (r ? `${formatTask((r as { task: Task }).task)}\nlease token ${(r as { lease: { token: number } }).lease.token}` : 'No ready task for this agent.'),
  },
  'task claim': {
    usage: 'task claim <id> --agent <agent>',
    options: { agent: { type: 'string' }, 'lease-seconds': { type: 'string' } },
    build: (p, v) => ({ type: 'task.claim', taskId: need(p, 0, 'the task id'), agentId: agentOf(v) ?? need([], 0, '--agent (or DREAMOS_AGENT_ID)'), ...(int(v, 'lease-seconds') ? { leaseMs: int(v, 'lease-seconds')! * 1000 } : {}) }),
    print: (r) => `${formatTask((r as { task: Task }).task)}\nlease token ${(r as { lease: { token: number } }).lease.token}`,
  },
  'task start': { usage: 'task start <id> [--token N]', options: tokenOpt, build: (p, v) => ({ type: 'task.start', taskId: need(p, 0, 'the task id'), token: tokenOf(v) }), print: (r) => formatTask(r as Task) },
  'task done': {
    usage: 'task done <id> --summary "what was done" [--token N] [--evidence kind:summary]...',
    options: { ...tokenOpt, summary: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.done', taskId: need(p, 0, 'the task id'), token: tokenOf(v), summary: str(v, 'summary') ?? need([], 0, '--summary'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task review': {
    usage: 'task review <id> --summary "..." [--token N] [--evidence kind:summary]...',
    options: { ...tokenOpt, summary: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.review', taskId: need(p, 0, 'the task id'), token: tokenOf(v), summary: str(v, 'summary') ?? need([], 0, '--summary'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task fail': {
    usage: 'task fail <id> --reason "why" [--token N]',
    options: { ...tokenOpt, reason: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.fail', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? need([], 0, '--reason'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task block': { usage: 'task block <id> --reason "what blocks it" [--token N]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.block', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? need([], 0, '--reason') }), print: (r) => formatTask(r as Task) },
  'task unblock': { usage: 'task unblock <id>', build: (p) => ({ type: 'task.unblock', taskId: need(p, 0, 'the task id') }), print: (r) => formatTask(r as Task) },
  'task release': { usage: 'task release <id> [--token N] [--reason r]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.release', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? '' }), print: (r) => formatTask(r as Task) },
  'task cancel': { usage: 'task cancel <id> [--reason r]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.cancel', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? '' }), print: (r) => formatTask(r as Task) },
  'task retry': { usage: 'task retry <id>', build: (p) => ({ type: 'task.retry', taskId: need(p, 0, 'the task id') }), print: (r) => formatTask(r as Task) },
  'task depend': { usage: 'task depend <id> <depends-on-id>', build: (p) => ({ type: 'task.depend', taskId: need(p, 0, 'the task id'), dependsOn: need(p, 1, 'the id it depends on') }), print: (r) => formatTask(r as Task) },
  'task undepend': { usage: 'task undepend <id> <depends-on-id>', build: (p) => ({ type: 'task.undepend', taskId: need(p, 0, 'the task id'), dependsOn: need(p, 1, 'the id it no longer depends on') }), print: (r) => formatTask(r as Task) },
  'credential issue': {
    usage: 'credential issue <agent> [--task id] [--ttl-seconds N] [--label text]   a token for one agent (shown once)',
    options: { task: { type: 'string' }, 'ttl-seconds': { type: 'string' }, label: { type: 'string' } },
    build: (p, v) => {
      const ttl = int(v, 'ttl-seconds');
      return { type: 'credential.issue', agent: need(p, 0, 'the agent'), ...(str(v, 'task') ? { taskId: str(v, 'task') } : {}), ...(ttl !== undefined ? { ttlMs: ttl * 1000 } : {}), label: str(v, 'label') ?? '' };
    },
    print: (r) => {
      const c = r as { id: string; agentId: string; token: string; taskId: string | null };
      return `${c.id} for ${c.agentId}${c.taskId ? ` on ${c.taskId}` : ''}\n${c.token}\n(shown once: give it to the agent as DREAMOS_AGENT_TOKEN)`;
    },
  },
  'credential list': {
    usage: 'credential list [agent]',
    build: (p) => ({ type: 'credential.list', ...(p[0] ? { agent: p[0] } : {}) }),
    print: (r) =>
      (r as { id: string; agentId: string; taskId: string | null; revokedAt: number | null; expiresAt: number | null; label: string }[])
        .map((c) => `${c.id}  ${c.agentId}${c.taskId ? ` ${c.taskId}` : ''}  ${c.revokedAt ? 'revoked' : c.expiresAt && c.expiresAt < Date.now() ? 'expired' : 'live'}  ${c.label}`)
        .join('\n') || '(no credentials)',
  },
  'credential revoke': { usage: 'credential revoke <credential-id>', build: (p) => ({ type: 'credential.revoke', credentialId: need(p, 0, 'the credential id') }), print: (r) => `${(r as { id: string }).id} revoked` },
  'agent register': {
    usage: 'agent register <name> [--driver command|language-model|chat-window|manual] [--capability c]...',
    options: { driver: { type: 'string' }, capability: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'agent.register', name: need(p, 0, 'the agent name'), ...(str(v, 'driver') ? { driver: str(v, 'driver') as 'manual' } : {}), capabilities: list(v, 'capability') }),
    print: (r) => formatAgent(r as Agent),
  },
  'agent list': { usage: 'agent list [--all]', options: { all: { type: 'boolean' } }, build: (_p, v) => ({ type: 'agent.list', includeRetired: v.all === true }), print: listOf(formatAgent) },
  'agent show': { usage: 'agent show <agent>', build: (p) => ({ type: 'agent.show', agent: need(p, 0, 'the agent') }), print: (r) => formatAgent(r as Agent) },
  'agent heartbeat': { usage: 'agent heartbeat [agent]', build: (p) => ({ type: 'agent.heartbeat', agent: p[0] ?? process.env.DREAMOS_AGENT_ID ?? need([], 0, 'the agent (or DREAMOS_AGENT_ID)') }), print: (r) => formatAgent(r as Agent) },
  'agent start': { usage: 'agent start <agent>   start its loop in the swarm that runs on this board', run: (p, _v, env, io) => agentControl(p, env, io, 'running') },
  'agent stop': { usage: 'agent stop <agent>   stop its loop wherever the board\'s swarm runs it; it stays stopped until agent start', run: (p, _v, env, io) => agentControl(p, env, io, 'stopped') },
  'agent retire': { usage: 'agent retire <agent>', build: (p) => ({ type: 'agent.lifecycle', agent: need(p, 0, 'the agent'), action: 'retire' }), print: (r) => formatAgent(r as Agent) },
  'mail send': {
    usage: 'mail send --to <agent|human|broadcast> --subject s [--body b] [--from f] [--priority p] [--reply-to id] [--ack]',
    options: { to: { type: 'string' }, subject: { type: 'string' }, body: { type: 'string' }, from: { type: 'string' }, priority: { type: 'string' }, 'reply-to': { type: 'string' }, ack: { type: 'boolean' } },
    build: (_p, v, env) => {
      const to = str(v, 'to') ?? need([], 0, '--to');
      return {
        type: 'mail.send',
        from: str(v, 'from') ?? process.env.DREAMOS_AGENT_ID ?? env.actor,
        to: to === 'human' ? { kind: 'human' } : to === 'broadcast' ? { kind: 'broadcast' } : { kind: 'agent', id: to },
        subject: str(v, 'subject') ?? need([], 0, '--subject'),
        body: str(v, 'body') ?? '',
        ...(str(v, 'priority') ? { priority: str(v, 'priority') as 'normal' } : {}),
        ...(str(v, 'reply-to') ? { replyTo: str(v, 'reply-to')! } : {}),
        requiresAck: v.ack === true,
      };
    },
    print: (r) => formatMessage(r as Message),
  },
  'mail inbox': { usage: 'mail inbox [recipient] [--unacked]', options: { unacked: { type: 'boolean' } }, build: (p, v) => ({ type: 'mail.inbox', recipient: p[0] ?? process.env.DREAMOS_AGENT_ID ?? 'human', unackedOnly: v.unacked === true }), print: listOf(formatMessage) },
  'mail ack': { usage: 'mail ack <message-id> [--as recipient]', options: { as: { type: 'string' } }, build: (p, v) => ({ type: 'mail.ack', messageId: need(p, 0, 'the message id'), recipient: str(v, 'as') ?? process.env.DREAMOS_AGENT_ID ?? 'human' }), print: (r) => formatMessage(r as Message) },
  'mail search': { usage: 'mail search <text>', build: (p) => ({ type: 'mail.search', query: need(p, 0, 'the text to search') }), print: listOf(formatMessage) },
  propose: {
    usage: 'propose --title t --rationale r [--task id] [--diff file.patch|-] [--file path]... [--delete path]...   (file contents are read from the working tree copy given by --from, default: the path itself)',
    options: { title: { type: 'string' }, rationale: { type: 'string' }, task: { type: 'string' }, diff: { type: 'string' }, file: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true }, from: { type: 'string' } },
    run: async (_p, v, env, io) => {
      const root = workspaceRoot(env);
      const from = str(v, 'from') ? path.resolve(str(v, 'from')!) : undefined;
      const diffArg = str(v, 'diff');
      const diff = diffArg === undefined ? undefined : diffArg === '-' ? await readStdin() : await readUtf8(diffArg, diffArg);
      const files = [
        ...(await Promise.all(
          list(v, 'file').map(async (f) => {
            const problem = checkProposalPath(f);
            if (problem) throw new DreamError('invalid_input', `Refused path "${f}": it ${problem}.`, { path: f });
            return { path: f, content: await readUtf8(path.join(from ?? root, ...f.split('/')), f) };
          }),
        )),
        ...list(v, 'delete').map((f) => ({ path: f, delete: true as const })),
      ];
      const prepared = await prepareSubmission(root, { files, ...(diff !== undefined ? { diff } : {}) });
      const client = await connect(env);
      try {
        const task = str(v, 'task') ?? process.env.DREAMOS_TASK_ID;
        const agent = process.env.DREAMOS_AGENT_ID;
        const r = await client.call({
          type: 'proposal.submit',
          title: str(v, 'title') ?? need([], 0, '--title'),
          rationale: str(v, 'rationale') ?? need([], 0, '--rationale'),
          ...(task ? { taskId: task } : {}),
          ...(agent ? { agentId: agent } : {}),
          files: prepared,
        });
        io.out(env.json ? JSON.stringify(r) : `${r.id}  ${r.status}  ${r.title}  (${r.files.map((f) => `${f.path} +${f.added} -${f.removed}`).join(', ')})`);
      } finally {
        await client.close();
      }
      return 0;
    },
  },
  'proposal list': {
    usage: 'proposal list [--status s]...',
    options: { status: { type: 'string', multiple: true } },
    build: (_p, v) => ({ type: 'proposal.list', ...(list(v, 'status').length ? { status: list(v, 'status') as Proposal['status'][] } : {}) }),
    print: listOf((p: Proposal) => `${p.id}  ${p.status.padEnd(11)} ${p.title}  (${p.files.length} files, checks ${p.validation.state})`),
  },
  'proposal show': { usage: 'proposal show <id>', build: (p) => ({ type: 'proposal.show', proposalId: need(p, 0, 'the proposal id') }), print: (r) => JSON.stringify(r, null, 2) },
  'proposal reject': {
    usage: 'proposal reject <id> --reason "why"',
    options: { reason: { type: 'string' } },
    build: (p, v) => ({ type: 'proposal.reject', proposalId: need(p, 0, 'the proposal id'), reason: str(v, 'reason') ?? need([], 0, '--reason') }),
    print: (r) => `${(r as Proposal).id} rejected`,
  },
  'proposal approve': {
    usage: 'proposal approve <id> [--override]   validate, approve, apply with a recovery point, run the post-apply checks (.dreamos/checks.json: checks, postApply)',
    options: { override: { type: 'boolean' } },
    run: async (p, v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const ws = await boardWorkspace(workspaceRoot(env), env.dir);
      const client = await connect(env);
      try {
        const r = await approveAndApply(client, ws, id, { override: v.override === true, via: 'from the CLI' });
        if (r.result === 'rolled_back') throw new DreamError('vetoed', `${id} was applied, then rolled back: post-apply checks failed (${r.failed.join(', ')}).`);
        io.out(env.json ? JSON.stringify(r.proposal) : `${id} applied (${r.proposal.files.length} files). Roll back with: dreamos proposal rollback ${id}`);
      } finally {
        await client.close();
      }
      return 0;
    },
  },
  'proposal check': {
    usage: 'proposal check <id>   check again: compare the files with the proposal\'s base (a conflicted one whose files match is pending again) and re-run the checks',
    run: async (p, _v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const ws = await boardWorkspace(workspaceRoot(env), env.dir);
      const client = await connect(env);
      try {
        const r = await checkAgain(client, ws, id);
        if (r.conflicts.length) {
          throw new DreamError('conflict', `${id} is still conflicted: ${r.conflicts.join(', ')} changed since the proposal was made. Put them back as they were and check again, or reject it: dreamos proposal reject ${id} --reason "..."`, { conflicts: r.conflicts });
        }
        const checks = r.proposal.validation.state === 'none' ? 'no checks configured' : `checks ${r.proposal.validation.state}`;
        io.out(env.json ? JSON.stringify(r.proposal) : `${id} ${r.proposal.status} (${checks})`);
      } finally {
        await client.close();
      }
      return 0;
    },
  },
  'proposal rollback': {
    usage: 'proposal rollback <id> [--force]',
    options: { force: { type: 'boolean' } },
    run: async (p, v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const files = await restoreRecoveryPoint(workspaceRoot(env), env.dir, id, nodeWriter, { force: v.force === true });
      const client = await connect(env);
      try {
        await client.call({ type: 'proposal.markRolledBack', proposalId: id, detail: `restored ${files.length} file(s) from the CLI` });
      } finally {
        await client.close();
      }
      io.out(env.json ? JSON.stringify({ proposalId: id, restored: files }) : `${id} rolled back: ${files.join(', ')}`);
      return 0;
    },
  },
  'swarm start': {
    usage: 'swarm start [--agent name]...   run .dreamos/agents.json here until Ctrl+C or `dreamos swarm stop`',
    options: { agent: { type: 'string', multiple: true } },
    run: (_p, v, env, io) => swarmStart({ dir: env.dir, agents: list(v, 'agent'), json: env.json, io }),
  },
  'swarm stop': { usage: 'swarm stop   every swarm on this board releases its tasks and stops', run: (_p, _v, env, io) => swarmStop({ dir: env.dir, json: env.json, io }) },
  'swarm status': { usage: 'swarm status   desired state, agents, telemetry', run: (_p, _v, env, io) => swarmStatus({ dir: env.dir, json: env.json, io }) },
  dashboard: {
    usage: 'dashboard [--port N]   serve the live dashboard in a browser tab (127.0.0.1 only)',
    options: { port: { type: 'string' } },
    run: async (_p, v, env, io) => {
      const client = await connect(env);
      try {
        return await runDashboardCommand(client, { port: int(v, 'port'), boardDir: env.dir, out: io.out });
      } finally {
        await client.close();
      }
    },
  },
  discord: {
    usage: 'discord   connect the board to Discord until Ctrl+C (settings: <board dir>/discord.json, bot token: DREAMOS_DISCORD_TOKEN)',
    run: async (_p, _v, env, io) => {
      const client = await connect(env);
      try {
        return await runDiscordCommand(client, { boardDir: env.dir, root: workspaceRoot(env), out: io.out });
      } finally {
        await client.close();
      }
    },
  },
  events: {
    usage: 'events [--after N] [--follow]',
    options: { after: { type: 'string' }, follow: { type: 'boolean' } },
    run: async (_p, v, env, io) => {
      const after = int(v, 'after') ?? 0;
      const client = await connect(env);
      const show = (e: BoardEvent) => io.out(env.json ? JSON.stringify(e) : formatEvent(e));
      if (!v.follow) {
        for (const e of await client.call({ type: 'events.since', afterSeq: after, limit: 10_000 })) show(e);
        await client.close();
        return 0;
      }
      const sub = client.subscribe(after, show);
      await untilInterrupted();
      sub.dispose();
      await client.close();
      return 0;
    },
  },
  import: {
    usage: 'import <file.json>',
    run: async (p, _v, env, io) => {
      const file = need(p, 0, 'the file to import');
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (err) {
        throw new DreamError('invalid_input', `${file} could not be read (${(err as Error).message}). Nothing was imported.`);
      }
      const parsed = parseJson(text);
      if (!parsed.ok) throw new DreamError('invalid_input', `${file} could not be read as JSON (${parsed.problem}). Nothing was imported.`, { file, line: parsed.line, column: parsed.column });
      const data = parsed.value;
      const client = await connect(env);
      try {
        const r = await client.call({ type: 'board.import', file: data });
        io.out(env.json ? JSON.stringify(r) : `Imported ${r.created.length} tasks.`);
      } finally {
        await client.close();
      }
      return 0;
    },
  },
  export: {
    usage: 'export [file.json]   (stdout when no file)',
    run: async (p, _v, env, io) => {
      const client = await connect(env);
      try {
        const data = JSON.stringify(await client.call({ type: 'board.export' }), null, 2);
        if (p[0]) await fs.writeFile(p[0], data);
        else io.out(data);
      } finally {
        await client.close();
      }
      return 0;
    },
  },
};

/** The board of the current folder: --dir, DREAMOS_DIR, the nearest .dreamos up the tree, or ./.dreamos. */
export function findBoardDir(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return path.resolve(cwd, explicit);
  if (process.env.DREAMOS_DIR) return path.resolve(cwd, process.env.DREAMOS_DIR);
  for (let d = cwd; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.dreamos'))) return path.join(d, '.dreamos');
    if (path.dirname(d) === d) return path.join(cwd, '.dreamos');
  }
}

/** The workspace a board belongs to: the folder that holds its board directory. */
function workspaceRoot(env: Env): string {
  return path.dirname(env.dir);
}

/** Reads a file to propose as UTF-8 text, refusing (exit 2) one that is not, before anything is sent. */
async function readUtf8(file: string, label: string): Promise<string> {
  const bytes = await fs.readFile(file);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DreamError('invalid_input', `${label} is not valid UTF-8 text, so it cannot be proposed. Save it as UTF-8 (or leave binary files out of the proposal) and run propose again.`, { path: label });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The person's CLI presents the hub token from hub.json; an agent's presents the credential it was
 * given at spawn (DREAMOS_AGENT_TOKEN), and a sandboxed agent also gets the socket it may reach.
 */
/** `agent start|stop`: the agent's loop, through the swarm that holds the board (core controlAgent). */
async function agentControl(p: string[], env: Env, io: Io, desired: 'running' | 'stopped'): Promise<number> {
  const name = need(p, 0, 'the agent');
  const client = await connect(env);
  try {
    const r = await controlAgent(client, name, desired, { reason: `dreamos agent ${desired === 'running' ? 'start' : 'stop'}` });
    io.out(env.json ? JSON.stringify(r) : r.message);
    return 0;
  } finally {
    await client.close();
  }
}

function connect(env: Env) {
  const credential = process.env.DREAMOS_AGENT_TOKEN;
  const socketPath = process.env.DREAMOS_HUB_SOCKET;
  return connectBoard({
    dir: env.dir,
    client: `cli:${process.pid}`,
    hubMode: socketPath ? 'never' : 'spawn',
    actor: env.actor,
    ...(credential ? { credential } : {}),
    ...(socketPath ? { socketPath } : {}),
  });
}

function usage(): string {
  return [
    'Usage: dreamos <command> [options]   (global: --dir <board dir>, --json, --as <actor>)',
    '',
    ...Object.entries(SUBS).map(([name, s]) => `  dreamos ${s.usage.startsWith(name) ? s.usage : `${name} ${s.usage}`}`),
    '',
    'Exit codes: 0 ok, 2 invalid input, 3 not found, 4 refused (conflict, stale token, transition), 5 no hub, 6 unauthorized.',
  ].join('\n');
}

const GLOBAL: Options = { dir: { type: 'string' }, json: { type: 'boolean' }, as: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) }): Promise<number> {
  // An empty variable means "not set" (a parent that blanks it must not make an empty actor).
  for (const k of ['DREAMOS_AGENT_ID', 'DREAMOS_LEASE_TOKEN', 'DREAMOS_TASK_ID', 'DREAMOS_DIR', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_HUB_SOCKET']) if (process.env[k] === '') delete process.env[k];
  const two = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const name = SUBS[two] ? two : argv[0] ?? '';
  const sub = SUBS[name];
  const json = argv.includes('--json');
  if (!sub || argv.includes('--help') || argv.includes('-h')) {
    (sub || argv.length === 0 || argv[0] === 'help' ? io.out : io.err)(sub ? `Usage: dreamos ${sub.usage}` : usage());
    return sub || argv.length === 0 || argv[0] === 'help' ? 0 : EXIT.usage;
  }
  const rest = argv.slice(name.split(' ').length);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...(sub.options ?? {}) }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new DreamError('invalid_input', `${(err as Error).message}\nUsage: dreamos ${sub.usage}`);
    }
    const v = parsed.values as Values;
    const env: Env = { dir: findBoardDir(str(v, 'dir')), actor: str(v, 'as') ?? process.env.DREAMOS_AGENT_ID ?? 'human:cli', json };
    if (sub.run) return await sub.run(parsed.positionals, v, env, io);
    const command = sub.build!(parsed.positionals, v, env);
    const client = await connect(env);
    try {
      const result = await client.call(command);
      io.out(json ? JSON.stringify(result) : (sub.print ?? ((r) => JSON.stringify(r, null, 2)))(result));
    } finally {
      await client.close();
    }
    return 0;
  } catch (err) {
    const e = DreamError.from(err);
    io.err(json ? JSON.stringify({ error: e.toJSON() }) : `dreamos: ${e.message}`);
    return EXIT[e.code] ?? 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`dreamos: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
