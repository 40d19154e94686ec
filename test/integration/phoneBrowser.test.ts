/**
 * The phone page as a person uses it, in Debian's Chromium at a phone's viewport (390×844, touch):
 * served at /phone by the real gateway (staticPages) over a real board, signing in with an
 * operator token, and every action done by tapping — approve a proposal after reading its diff,
 * reject one with a reason, answer an agent's question, retry a failed task — each checked on the
 * board afterwards. Screenshots in light and dark go to test-output/phone/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { phonePage } from '../../src/integrations/phone/phonePage';
import { apiFixture, send, type ApiFixture } from './apiHelpers';

const CHROMIUM = '/usr/bin/chromium';
const shots = path.resolve(__dirname, '../../test-output/phone');
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } as const;
const BASE = 'export function greet(name: string): string {\n  return "Hello " + name;\n}\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function buildPhoneAssets(): Promise<string> {
  const esbuild = await import('esbuild');
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-phone-assets-'));
  await esbuild.build({ entryPoints: { phone: path.resolve(__dirname, '../../webview-ui/phone/main.ts') }, outdir, bundle: true, platform: 'browser', target: ['chrome114'], format: 'iife', loader: { '.css': 'css' }, logLevel: 'error' });
  return outdir;
}

describe('the phone page in Chromium', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, () => {
  let f: ApiFixture;
  let assets: string;
  let browser: Browser;
  const errors: string[] = [];
  let ids: { approve: string; reject: string; question: string; failed: string };

  const seed = async (tag: string) => {
    const p = f.person;
    const approve = await p.call({ type: 'proposal.submit', agentId: 'coder', title: `Greet politely ${tag}`, rationale: 'Say hello with a comma, as the style guide asks.', files: [{ path: 'src/greet.ts', op: 'modify', baseHash: sha(BASE), content: BASE.replace('"Hello " + name', '`Hello, ${name}!`'), added: 1, removed: 1 }] });
    const reject = await p.call({ type: 'proposal.submit', agentId: 'coder', title: `Add a changelog ${tag}`, rationale: 'Keep a changelog.', files: [{ path: 'CHANGES.md', op: 'create', baseHash: null, content: '# Changes\n\n- greet\n', added: 3, removed: 0 }] });
    const task = await p.call({ type: 'task.add', title: `Fix the flaky login test ${tag}` });
    const claim = await p.call({ type: 'task.claim', taskId: task.id, agentId: 'coder' });
    await p.call({ type: 'task.fail', taskId: task.id, token: claim.lease!.token, reason: 'the test server did not start on port 8080' });
    const q = await p.call({ type: 'mail.send', from: 'coder', to: { kind: 'human' }, subject: `Which database should I use? ${tag}`, body: 'Postgres or SQLite for the sessions table?', taskId: task.id });
    return { approve: approve.id, reject: reject.id, question: q.id, failed: task.id };
  };

  const open = async (colorScheme: 'light' | 'dark'): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await browser.newContext({ ...PHONE, colorScheme });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${f.gateway.origin}/phone`);
    return { ctx, page };
  };
  const signIn = async (page: Page, token: string) => {
    await page.fill('#token', token);
    await page.tap('[data-testid=sign-in]');
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });

  before(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    assets = await buildPhoneAssets();
    f = await apiFixture({ staticPages: { '/phone': phonePage({ assetsDir: assets }) } });
    mkdirSync(path.join(path.dirname(f.dir), 'src'), { recursive: true });
    writeFileSync(path.join(path.dirname(f.dir), 'src/greet.ts'), BASE);
    ids = await seed('');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  });
  after(async () => {
    await browser?.close();
    await f?.close();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  it('is served by the gateway with a strict CSP, and refuses what is not a page', async () => {
    const page = await send(f.port, 'GET', '/phone');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(page.text, /name="viewport" content="width=device-width/);
    assert.equal((await send(f.port, 'GET', '/phone/phone.js')).status, 200);
    assert.equal((await send(f.port, 'GET', '/phone/nope.js')).status, 404);
    assert.equal((await send(f.port, 'POST', '/phone', { body: {} })).status, 405);
    assert.equal((await send(f.port, 'GET', '/phone', { headers: { Host: 'evil.example:80' } })).status, 403, "the gateway's Host rule applies");
  });

  it('signs in with a token, lists what needs you, and each tap changes the board', async () => {
    const { ctx, page } = await open('light');
    await page.waitForSelector('[data-testid=sign-in]');
    await shot(page, 'login-light');
    await signIn(page, 'dost_notarealtoken000000000000000000000000000');
    await page.waitForSelector('.banner.error');
    assert.match((await page.textContent('.banner'))!, /wrong, revoked or expired/);
    await signIn(page, f.tokens.operator);
    await page.waitForSelector(`[data-testid=proposal-${ids.approve}]`);
    assert.equal(await page.textContent('header h1'), 'Needs you (4)');
    assert.match((await page.textContent(`[data-testid=question-${ids.question}]`))!, /Which database should I use\?.*coder/);
    await shot(page, 'needs-you-light');

    // Every control is at least a 44 px target, and nothing is wider than the phone.
    const small = await page.$$eval('button, a.item, input, textarea', (els) => els.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(small, []);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');

    // A proposal's whole diff, then Approve.
    await page.tap(`[data-testid=proposal-${ids.approve}]`);
    await page.waitForSelector('[data-testid=diff]');
    const diff = (await page.textContent('[data-testid=diff]'))!;
    assert.match(diff, /--- a\/src\/greet\.ts/);
    assert.match(diff, /- {2}return "Hello " \+ name;/);
    assert.match(diff, /\+ {2}return `Hello, \$\{name\}!`;/);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'a long diff line scrolls inside its box');
    await shot(page, 'proposal-light');
    await page.tap('[data-testid=approve]');
    await page.waitForSelector(`[data-testid=proposal-${ids.reject}]`);
    const approved = await f.person.call({ type: 'proposal.show', proposalId: ids.approve });
    assert.equal(approved.status, 'approved');
    assert.equal(approved.audit.at(-1)!.actor, 'token:ops', 'recorded under the phone token');

    // Reject needs a reason; the agent gets it.
    await page.tap(`[data-testid=proposal-${ids.reject}]`);
    await page.waitForSelector('[data-testid=reject]');
    await page.tap('[data-testid=reject]');
    await page.waitForSelector('.banner.error');
    assert.match((await page.textContent('.banner'))!, /Say why/);
    await page.fill('#reason', 'We keep release notes in docs/releases, not a CHANGES file.');
    await page.tap('[data-testid=reject]');
    await page.waitForSelector(`[data-testid=question-${ids.question}]`);
    const rejected = await f.person.call({ type: 'proposal.show', proposalId: ids.reject });
    assert.deepEqual([rejected.status, rejected.statusReason], ['rejected', 'We keep release notes in docs/releases, not a CHANGES file.']);

    // Answer the agent's question: a reply in its thread, in the agent's inbox; the question leaves Needs You.
    await page.tap(`[data-testid=question-${ids.question}]`);
    await page.waitForSelector('#answer');
    await page.fill('#answer', 'SQLite for now; we move to Postgres with the API.');
    await shot(page, 'question-light');
    await page.tap('[data-testid=send-answer]');
    await page.waitForSelector(`[data-testid=task-${ids.failed}]`);
    const coderInbox = await f.person.call({ type: 'mail.inbox', recipient: 'coder' });
    const reply = coderInbox.find((m) => m.replyTo === ids.question);
    assert.ok(reply, 'the answer is a reply to the question');
    assert.deepEqual([reply.body, reply.from, reply.taskId], ['SQLite for now; we move to Postgres with the API.', 'human', ids.failed]);
    const unacked = await f.person.call({ type: 'mail.inbox', recipient: 'human', unackedOnly: true });
    assert.equal(unacked.some((m) => m.id === ids.question), false, 'acknowledged');

    // Retry the failed task.
    await page.tap(`[data-testid=task-${ids.failed}]`);
    await page.waitForSelector('[data-testid=retry]');
    assert.match((await page.textContent('main'))!, /did not start on port 8080/);
    await shot(page, 'task-light');
    await page.tap('[data-testid=retry]');
    await page.waitForSelector('.empty');
    assert.equal((await f.person.call({ type: 'task.show', taskId: ids.failed })).task.status, 'ready');
    assert.equal(await page.textContent('.empty'), 'Nothing needs you right now.');
    await ctx.close();
  });

  it('follows the system dark scheme, and a read token sees the list but is refused approving', async () => {
    ids = await seed('(dark)');
    const { token } = await f.person.call({ type: 'token.create', name: 'glance', scope: 'read' });
    const { ctx, page } = await open('dark');
    await signIn(page, token);
    await page.waitForSelector(`[data-testid=proposal-${ids.approve}]`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(17, 20, 24)', 'the dark background');
    await shot(page, 'needs-you-dark');
    // The list follows the board (the API's event stream): a new question shows up by itself.
    const late = await f.person.call({ type: 'mail.send', from: 'helper', to: { kind: 'human' }, subject: 'May I delete the old fixtures?', body: 'They are unused since the move.' });
    await page.waitForSelector(`[data-testid=question-${late.id}]`);
    assert.equal(await page.textContent('header h1'), 'Needs you (5)');
    await page.tap(`[data-testid=proposal-${ids.approve}]`);
    await page.waitForSelector('[data-testid=diff]');
    await shot(page, 'proposal-dark');
    await page.tap('[data-testid=approve]');
    await page.waitForSelector('.banner.error');
    assert.match((await page.textContent('.banner'))!, /read token/);
    assert.equal((await f.person.call({ type: 'proposal.show', proposalId: ids.approve })).status, 'pending', 'unchanged');
    // Signing out ends the session: a reload asks for a token again.
    await page.tap('[data-testid=back]');
    await page.waitForSelector('[data-testid=sign-out]');
    await page.tap('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=sign-in]');
    await page.reload();
    await page.waitForSelector('[data-testid=sign-in]');
    await ctx.close();
    assert.deepEqual(errors, [], 'no script errors');
  });
});
