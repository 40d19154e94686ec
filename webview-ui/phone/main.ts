/**
 * Dream.OS on a phone (served at /phone by the gateway, src/integrations/phone/phonePage.ts): sign
 * in with a token, see what needs you — questions from agents, proposals, tasks in review, failed
 * or blocked — read a proposal's whole diff, approve or reject it with a reason, answer a question,
 * retry a task. The views are the URL's hash, so the phone's back button goes back.
 * Text from the board only ever becomes DOM text (textContent), never HTML.
 */
import type { Message } from '../../src/core/board/boardModel';
import { api, ApiError, type NeedsYou } from './api';
import './phone.css';

type Child = Node | string | null | undefined | false;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

const root = document.getElementById('app')!;
let board: NeedsYou | undefined;
let events: EventSource | undefined;

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? 'just now' : s < 3600 ? `${Math.floor(s / 60)} min ago` : s < 86_400 ? `${Math.floor(s / 3600)} h ago` : `${Math.floor(s / 86_400)} d ago`;
};
/** An agent by id or by name (mail records the sender as it was given). */
const agentOf = (ref: string) => board?.agents.get(ref) ?? [...(board?.agents.values() ?? [])].find((a) => a.name === ref);
const nameOf = (ref: string | null | undefined) => (ref ? (agentOf(ref)?.name ?? (ref === 'hub' ? 'Dream.OS' : ref)) : '');

function banner(text: string, kind: 'error' | 'ok' = 'error'): void {
  document.querySelector('.banner')?.remove();
  const b = h('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  document.body.append(b);
  setTimeout(() => b.remove(), kind === 'ok' ? 2500 : 8000);
}

function screen(title: string, back: boolean, ...body: Child[]): void {
  // An error was about the screen it happened on.
  document.querySelector('.banner.error')?.remove();
  root.replaceChildren(
    h(
      'header',
      {},
      back ? h('a', { class: 'back', href: '#', 'aria-label': 'Back to Needs You', 'data-testid': 'back' }, '‹') : h('span', { class: 'logo' }, 'Dream.OS'),
      h('h1', {}, title),
      back ? null : signOutButton(),
    ),
    h('main', {}, ...body),
  );
  window.scrollTo(0, 0);
}

function signOutButton(): HTMLElement {
  const b = h('button', { class: 'quiet', type: 'button', 'data-testid': 'sign-out' }, 'Sign out');
  b.onclick = async () => {
    await api.signOut().catch(() => undefined);
    events?.close();
    events = undefined;
    showLogin();
  };
  return b;
}

/** A button that runs `act`, disabled while it runs; failures become a banner with the API's words. */
function action(label: string, cls: string, act: () => Promise<void>, testId: string): HTMLButtonElement {
  const b = h('button', { class: cls, type: 'button', 'data-testid': testId }, label);
  b.onclick = async () => {
    b.disabled = true;
    try {
      await act();
    } catch (err) {
      banner(err instanceof Error ? err.message : String(err));
    } finally {
      b.disabled = false;
    }
  };
  return b;
}

function showLogin(message?: string): void {
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'current-password', placeholder: 'dost_…', 'aria-label': 'Token', autocapitalize: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'card login' },
    h('p', {}, 'Sign in with a Dream.OS token. Make one on your computer:'),
    h('pre', {}, 'dreamos token create phone --scope operator'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { class: 'primary', type: 'submit', 'data-testid': 'sign-in' }, 'Sign in'),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      await api.signIn(input.value.trim());
      input.value = '';
      location.hash = '';
      await route();
    } catch (err) {
      banner(err instanceof ApiError && err.status === 401 ? 'That token is wrong, revoked or expired.' : (err as Error).message);
    }
  };
  screen('Sign in', false, message ? h('p', { class: 'note' }, message) : null, form);
  root.querySelector('header .quiet')?.remove();
}

function item(href: string, kind: string, title: string, meta: string, testId: string): HTMLElement {
  return h('li', {}, h('a', { class: 'item', href, 'data-testid': testId }, h('span', { class: `tag ${kind}` }, kind), h('span', { class: 'title' }, title), h('span', { class: 'meta' }, meta)));
}

async function showList(): Promise<void> {
  board = await api.needsYou();
  follow(board.seq);
  const { questions, proposals, tasks } = board;
  const n = questions.length + proposals.length + tasks.length;
  const section = (title: string, items: HTMLElement[]) => (items.length ? h('section', {}, h('h2', {}, title), h('ul', { class: 'list' }, ...items)) : null);
  screen(
    n ? `Needs you (${n})` : 'Needs you',
    false,
    n === 0 ? h('p', { class: 'empty' }, 'Nothing needs you right now.') : null,
    section('Questions', questions.map((m) => item(`#/m/${m.id}`, 'question', m.subject, `${nameOf(m.from)} · ${ago(m.createdAt)}`, `question-${m.id}`))),
    section('Proposals', proposals.map((p) => item(`#/p/${p.id}`, p.status === 'conflicted' ? 'conflict' : 'review', p.title, `${nameOf(p.agentId ?? p.createdBy)} · ${p.files.length} file${p.files.length === 1 ? '' : 's'} · ${ago(p.createdAt)}`, `proposal-${p.id}`))),
    section('Tasks', tasks.map((t) => item(`#/t/${t.id}`, t.status, t.title, `${t.assignee ? `${nameOf(t.assignee)} · ` : ''}${ago(t.updatedAt)}`, `task-${t.id}`))),
  );
}

/** Refreshes the list when the board changes (Server-Sent Events from the API, resumed by the browser). */
function follow(seq: number): void {
  if (events) return;
  events = new EventSource(`/api/v1/events?after=${seq}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (location.hash === '' || location.hash === '#') void showList().catch(() => undefined);
    }, 300);
  };
  for (const type of ['task.transitioned', 'mail.sent', 'mail.acked', 'proposal.submitted', 'proposal.transitioned']) events.addEventListener(type, refresh);
}

function diffView(diff: string): HTMLElement {
  const pre = h('pre', { class: 'diff', 'data-testid': 'diff' });
  for (const line of diff.split('\n')) {
    const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
    pre.append(h('span', cls ? { class: cls } : {}, `${line}\n`));
  }
  return pre;
}

async function showProposal(id: string): Promise<void> {
  const { proposal: p, diff } = await api.proposal(id);
  const reason = h('textarea', { id: 'reason', rows: '3', placeholder: 'What should the agent change?', 'aria-label': 'Reason for rejecting' });
  const open = p.status === 'pending' || p.status === 'conflicted';
  // A conflicted proposal cannot be approved until its files are back as it expects (Check Again, in the editor).
  const approvable = p.status === 'pending';
  screen(
    'Proposal',
    true,
    h('section', { class: 'card' },
      h('h2', {}, p.title),
      h('p', { class: 'meta' }, `${nameOf(p.agentId ?? p.createdBy)} · ${p.status}${p.statusReason ? ` — ${p.statusReason}` : ''} · checks: ${p.validation.state}`),
      h('p', { class: 'rationale' }, p.rationale),
      h('ul', { class: 'files' }, ...p.files.map((f) => h('li', {}, h('code', {}, f.path), ` ${f.op} +${f.added} −${f.removed}`))),
    ),
    diffView(diff),
    open
      ? h('section', { class: 'card actions' },
          approvable
            ? action('Approve', 'primary', async () => {
                await api.approve(p.id);
                banner('Approved.', 'ok');
                location.hash = '';
              }, 'approve')
            : h('p', { class: 'note' }, 'Its files changed since it was made, so it cannot be approved as it is. Reject it with what to do, or use Check Again in the editor.'),
          h('label', { for: 'reason' }, 'Reject with a reason'),
          reason,
          action('Reject', 'danger', async () => {
            if (!reason.value.trim()) throw new Error('Say why, so the agent can do better.');
            await api.reject(p.id, reason.value.trim());
            banner('Rejected; the agent gets your reason.', 'ok');
            location.hash = '';
          }, 'reject'),
        )
      : h('p', { class: 'note' }, `This proposal is ${p.status}; nothing to decide.`),
  );
}

function findQuestion(id: string): Message | undefined {
  return board?.questions.find((m) => m.id === id);
}

async function showQuestion(id: string): Promise<void> {
  if (!board) board = await api.needsYou();
  const m = findQuestion(id);
  if (!m) return showList();
  const agent = agentOf(m.from);
  const fromAgent = agent !== undefined;
  const answer = h('textarea', { id: 'answer', rows: '5', placeholder: 'Your answer', 'aria-label': 'Your answer' });
  screen(
    'Question',
    true,
    h('section', { class: 'card' }, h('h2', {}, m.subject), h('p', { class: 'meta' }, `${nameOf(m.from)} · ${ago(m.createdAt)}${m.taskId ? ` · ${board.tasks.find((t) => t.id === m.taskId)?.title ?? m.taskId}` : ''}`), h('p', { class: 'body' }, m.body)),
    h('section', { class: 'card actions' },
      fromAgent ? h('label', { for: 'answer' }, `Answer ${nameOf(m.from)}`) : null,
      fromAgent ? answer : null,
      fromAgent
        ? action('Send answer', 'primary', async () => {
            if (!answer.value.trim()) throw new Error('Write an answer first.');
            await api.answer(m, agent!.id, answer.value.trim());
            await api.ack(m.id);
            banner('Answer sent.', 'ok');
            location.hash = '';
          }, 'send-answer')
        : null,
      action(fromAgent ? 'Mark as read' : 'Got it', 'secondary', async () => {
        await api.ack(m.id);
        location.hash = '';
      }, 'ack'),
    ),
  );
}

async function showTask(id: string): Promise<void> {
  const { task: t, history } = await api.task(id);
  const why = history.at(-1)?.reason ?? '';
  const reason = h('textarea', { id: 'task-reason', rows: '2', placeholder: 'A note for the agent (optional)', 'aria-label': 'Note' });
  const buttons: HTMLElement[] = [];
  const act = (label: string, cls: string, which: 'retry' | 'done', done: string) =>
    action(label, cls, async () => {
      await api.taskAction(t.id, which, reason.value.trim() || (which === 'done' ? 'accepted from the phone' : ''));
      banner(done, 'ok');
      location.hash = '';
    }, which);
  if (t.status === 'review') buttons.push(act('Accept as done', 'primary', 'done', 'Done.'));
  if (t.status === 'failed' || t.status === 'blocked' || t.status === 'review') buttons.push(act('Retry', t.status === 'review' ? 'secondary' : 'primary', 'retry', 'Back to ready; an agent picks it up.'));
  screen(
    'Task',
    true,
    h('section', { class: 'card' },
      h('h2', {}, t.title),
      h('p', { class: 'meta' }, `${t.status}${t.assignee ? ` · ${nameOf(t.assignee)}` : ''} · attempt ${t.attempts} of ${t.maxAttempts}`),
      why ? h('p', { class: 'body' }, why) : null,
      t.resultSummary && t.resultSummary !== why ? h('p', { class: 'body' }, t.resultSummary) : null,
      t.description ? h('p', { class: 'rationale' }, t.description) : null,
    ),
    buttons.length ? h('section', { class: 'card actions' }, reason, ...buttons) : h('p', { class: 'note' }, `This task is ${t.status}.`),
  );
}

async function route(): Promise<void> {
  const [, kind, id] = /^#\/([mpt])\/([\w-]+)$/.exec(location.hash) ?? [];
  try {
    if (kind === 'p') await showProposal(id!);
    else if (kind === 'm') await showQuestion(id!);
    else if (kind === 't') await showTask(id!);
    else await showList();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showLogin();
    banner((err as Error).message);
  }
}

window.addEventListener('hashchange', () => void route());
void api.whoami().then(
  () => route(),
  (err: unknown) => showLogin(err instanceof ApiError && err.status === 401 ? undefined : (err as Error).message),
);
