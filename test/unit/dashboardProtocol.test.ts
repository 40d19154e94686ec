import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { CardTableSchema, claimOrder, decodeClientMessage, encodeCards, HostToClientSchema, MAX_CLIENT_MESSAGE_BYTES, PROTOCOL_VERSION, toTaskCard, type TaskCard } from '../../src/protocol/dashboard';
import { decodeCards } from '../../webview-ui/src/cards';

const TASK = 'tsk_0123456789ab';
const AGENT = 'agt_0123456789ab';

describe('dashboard protocol: what clients may send', () => {
  it('accepts every well-formed message, as a value or as JSON text', () => {
    const good = [
      { type: 'ready' },
      { type: 'ready', protocol: PROTOCOL_VERSION },
      { type: 'request', requestId: 0, request: { action: 'task.show', taskId: TASK } },
      { type: 'request', requestId: 1, request: { action: 'task.create', title: 'Write the parser', priority: 'high' } },
      { type: 'request', requestId: 2, request: { action: 'task.create', title: 'Defaults', kind: 'bug', description: 'd' } },
      { type: 'request', requestId: 3, request: { action: 'task.done', taskId: TASK, summary: 'done' } },
      { type: 'request', requestId: 4, request: { action: 'task.cancel', taskId: TASK } },
      { type: 'request', requestId: 5, request: { action: 'task.retry', taskId: TASK } },
      { type: 'request', requestId: 6, request: { action: 'task.assign', taskId: TASK, agentId: AGENT } },
      { type: 'request', requestId: 7, request: { action: 'task.assign', taskId: TASK, agentId: null } },
      { type: 'request', requestId: 8, request: { action: 'agent.lifecycle', agentId: AGENT, lifecycle: 'stop' } },
    ];
    for (const m of good) {
      for (const raw of [m, JSON.stringify(m)]) {
        const r = decodeClientMessage(raw);
        assert.ok(r.ok, `${JSON.stringify(m)}: ${r.ok ? '' : r.error.message}`);
      }
    }
    const created = decodeClientMessage({ type: 'request', requestId: 2, request: { action: 'task.create', title: '  padded  ' } });
    assert.ok(created.ok && created.message.type === 'request' && created.message.request.action === 'task.create');
    assert.equal(created.message.request.title, 'padded');
    assert.equal(created.message.request.priority, 'normal');
  });

  it('refuses malformed messages with a clear error, and keeps the requestId so the request is answered', () => {
    const cases: [unknown, RegExp, number | undefined][] = [
      ['not json at all', /not JSON/, undefined],
      [{ type: 'request', requestId: 9, request: { action: 'task.delete', taskId: TASK } }, /action/, 9],
      [{ type: 'request', requestId: 10, request: { action: 'task.show', taskId: 'tsk_nope' } }, /task id/, 10],
      [{ type: 'request', requestId: 11, request: { action: 'task.create', title: '   ' } }, /title/, 11],
      [{ type: 'request', requestId: 12, request: { action: 'task.show', taskId: TASK, extra: 1 } }, /extra/, 12],
      [{ type: 'request', requestId: -1, request: { action: 'task.show', taskId: TASK } }, /requestId/, undefined],
      [{ type: 'request', requestId: 1.5, request: { action: 'task.show', taskId: TASK } }, /requestId/, undefined],
      [{ type: 'shutdown' }, /type/, undefined],
      [{ type: 'ready', protocol: 99 }, /protocol/, undefined],
      [{ type: 'ready', protocol: 1 }, /protocol/, undefined], // a page from before the card table
      ['x'.repeat(MAX_CLIENT_MESSAGE_BYTES + 1), /limit/, undefined],
    ];
    for (const [raw, why, id] of cases) {
      const r = decodeClientMessage(raw);
      assert.equal(r.ok, false, JSON.stringify(raw).slice(0, 80));
      if (r.ok) continue;
      assert.match(r.error.message, /^Invalid dashboard message: /);
      assert.match(r.error.message, why);
      assert.equal(r.error.code, 'invalid_input');
      assert.equal(r.requestId, id);
      assert.ok(r.error.message.length < 800, 'errors stay readable');
    }
  });

  it('never throws on garbage (fuzz)', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
    const atoms = () => [null, undefined, true, 0, -1, 1e308, NaN, '', 'ready', 'request', 'task.show', TASK, '__proto__', 'constructor', Symbol('s'), () => 1, BigInt(1)];
    const gen = (depth: number): unknown => {
      const r = rand();
      if (depth > 4 || r < 0.35) return atoms()[Math.floor(rand() * atoms().length)];
      if (r < 0.55) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      const keys = ['type', 'requestId', 'request', 'action', 'taskId', 'title', 'priority', '__proto__', 'constructor', 'x'];
      for (let k = 0; k < Math.floor(rand() * 5); k++) o[keys[Math.floor(rand() * keys.length)]!] = gen(depth + 1);
      return o;
    };
    for (let n = 0; n < 3000; n++) {
      const value = gen(0);
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined;
      }
      for (const raw of [value, text, text?.slice(0, Math.floor(rand() * (text?.length ?? 0)))]) {
        const r = decodeClientMessage(raw);
        if (!r.ok) assert.match(r.error.message, /^Invalid dashboard message: ./);
      }
    }
    // Structured garbage on the happy path's shape still fails cleanly.
    const proto = JSON.parse('{"type":"request","requestId":1,"request":{"action":"task.show","taskId":"tsk_0123456789ab","__proto__":{"admin":true}}}') as unknown;
    const r = decodeClientMessage(proto);
    assert.equal(r.ok, false);
  });
});

describe('dashboard protocol: what the host sends', () => {
  const task: Task = {
    id: TASK,
    title: 'Write the parser',
    description: 'a long description the cards never need',
    kind: 'feature',
    priority: 2,
    status: 'running',
    tags: ['parser'],
    requires: [],
    dependsOn: [],
    parentId: null,
    assignee: AGENT,
    lease: { token: 77, expiresAt: 2_000 },
    attempts: 1,
    maxAttempts: 3,
    estimateMinutes: null,
    deadline: null,
    resultSummary: null,
    evidence: [],
    createdBy: 'human',
    createdAt: 1_000,
    updatedAt: 1_500,
  };

  it('cards carry what a card shows (tags for chips and search), never the description or lease', () => {
    const card = toTaskCard(task);
    assert.deepEqual(Object.keys(card).sort(), ['assignee', 'attempts', 'createdAt', 'id', 'kind', 'maxAttempts', 'priority', 'status', 'tags', 'title', 'updatedAt']);
    assert.ok(!JSON.stringify(card).includes('77'));
  });

  it('a card table decodes to exactly the cards encoded, and is much smaller than card objects', () => {
    const statuses = ['ready', 'running', 'done', 'waiting', 'failed'] as const;
    const cards: TaskCard[] = Array.from({ length: 500 }, (_, i) => ({
      id: `tsk_${i.toString(16).padStart(12, '0')}`,
      title: i % 7 ? `Task “${i}” \n with "quotes"` : '',
      tags: i % 4 ? [] : i % 8 ? ['ui'] : ['ui', `scope:src/${i % 3}`],
      status: statuses[i % statuses.length]!,
      priority: i % 4,
      kind: i % 3 ? 'bug' : 'feature',
      assignee: i % 5 ? null : `agt_${(i % 3).toString(16).padStart(12, '0')}`,
      attempts: i % 3,
      maxAttempts: 3,
      createdAt: 1_700_000_000_000 + i * 1000,
      updatedAt: 1_700_000_000_000 + i * 1000 + (i % 11),
    }));
    const table = encodeCards(cards);
    assert.ok(CardTableSchema.safeParse(table).success);
    assert.deepEqual(decodeCards(table), cards);
    assert.deepEqual(decodeCards(encodeCards([])), []);
    assert.ok(JSON.stringify(table).length < 0.6 * JSON.stringify(cards).length, 'the table is the smaller form');
    // claimOrder is the board's own order: priority, then age, then id.
    const sorted = [...cards].sort(claimOrder);
    assert.equal(sorted[0]!.priority, 3);
    assert.ok(sorted.every((c, i) => i === 0 || claimOrder(sorted[i - 1]!, c) < 0));
  });

  it('the card table schema refuses ragged columns and indexes outside the dictionaries', () => {
    const table = encodeCards([toTaskCard(task)]);
    assert.equal(CardTableSchema.safeParse({ ...table, titles: [] }).success, false);
    assert.equal(CardTableSchema.safeParse({ ...table, status: [5] }).success, false);
    assert.equal(CardTableSchema.safeParse({ ...table, assignee: [-2] }).success, false);
    assert.equal(CardTableSchema.safeParse({ ...table, tags: [[1]] }).success, false, 'a tag index outside tagNames');
    assert.equal(CardTableSchema.safeParse({ ...table, tags: [] }).success, false, 'tags ragged');
    assert.equal(CardTableSchema.safeParse({ ...table, tagged: [1] }).success, false, 'a tagged card that is not there');
    assert.deepEqual([encodeCards([{ ...toTaskCard(task), tags: [] }]).tagged, encodeCards([{ ...toTaskCard(task), tags: [] }]).tags], [[], []], 'untagged cards cost nothing');
    assert.equal(CardTableSchema.safeParse({ ...table, ids: ['nope'] }).success, false);
    assert.equal(CardTableSchema.safeParse({ ...table, description: ['leak'] }).success, false);
  });

  it('the host message schema accepts real shapes and rejects drift', () => {
    const card = toTaskCard(task);
    const ok = [
      { type: 'state', state: { boardDir: '/b', role: 'hub', cards: encodeCards([card]), agents: [], latestSeq: 3, recentEvents: [] } },
      { type: 'delta', events: [{ seq: 4, type: 'task.created', at: 1, actor: 'human', subject: TASK, payload: {} }], tasks: [card], latestSeq: 4, role: 'client' },
      { type: 'response', requestId: 1, ok: true, result: card },
      { type: 'response', requestId: 2, ok: false, error: { code: 'not_found', message: 'No such task.' } },
      { type: 'error', error: { code: 'invalid_input', message: 'Invalid dashboard message: x' } },
      { type: 'filter', query: 'tag:ui owner:claude' },
      { type: 'notice', level: 'error', text: 'A done task cannot go to Review.' },
      { type: 'dropRules', rules: { ready: [{ ok: false, why: 'already there' }, { ok: false, why: 'agents claim tasks' }, { ok: false, why: 'x' }, { ok: true, label: 'Block' }, { ok: true, label: 'Mark Done' }] } },
    ];
    for (const m of ok) assert.ok(HostToClientSchema.safeParse(m).success, JSON.stringify(m));
    assert.equal(HostToClientSchema.safeParse({ type: 'delta', events: [], tasks: [{ ...card, description: 'leak' }], latestSeq: 1, role: 'hub' }).success, false);
    assert.equal(HostToClientSchema.safeParse({ type: 'response', requestId: 1, ok: false, error: { code: 'x', message: '' } }).success, false);
  });
});
