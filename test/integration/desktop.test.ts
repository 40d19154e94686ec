/**
 * Desktop automation against real windows: Xvfb + openbox, headed Chromium windows standing in for
 * agent chat windows (each page records exactly what arrived and what was sent), nut-js typing and
 * pasting, the X11 window manager moving and focusing. Nothing here is mocked.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CalibrationStore, createDesktopAutomation, dwellCapture, type DesktopOrchestrator, type DesktopWindow } from '../../src/integrations/desktop';
import type { CalibrateRequest } from '../../src/integrations/desktop/calibrate';
import { overlaps } from '../../src/integrations/desktop/geometry';
import { NutInput } from '../../src/integrations/desktop/input';
import { loadNut } from '../../src/integrations/desktop/nut';
import { launchChatBrowser, type ChatBrowser, type ChatWindow } from './helpers/xvfbChat';
import { startXDisplay, type XDisplay } from './helpers/xvfb';

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'test-output', 'desktop');
const CHILD = path.join(__dirname, 'helpers', 'xvfbInjectProcess.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

const NASTY = [
  'Fix the "parser" — it\'s broken: `$(rm -rf ~)` and <>&|; must stay literal.',
  'Unicode: héllo wörld ✓ 日本語 🚀 ∑ — «quotes» ‘single’',
  '\tindented line with trailing spaces   ',
  'backslashes \\n \\\\ %s %d {{taskId}} ${HOME} !$ !! * ? ~',
  '',
  'last line',
].join('\n');

describe('desktop automation under Xvfb + openbox', { timeout: 150_000 }, () => {
  let x: XDisplay;
  let chat: ChatBrowser;
  let alpha: ChatWindow;
  let beta: ChatWindow;
  let gamma: ChatWindow;
  let desktop: DesktopOrchestrator;
  let input: NutInput;
  let boardDir: string;
  const timings: Record<string, number> = {};

  const windowFor = async (title: string): Promise<DesktopWindow> => {
    const until = Date.now() + 10_000;
    for (;;) {
      const w = (await desktop.windows()).find((ww) => ww.title.startsWith(title));
      if (w) return w;
      if (Date.now() > until) throw new Error(`no window titled ${title}`);
      await sleep(50);
    }
  };
  const pointAt = (w: ChatWindow): CalibrateRequest['capture'] => async (_win, inp) => {
    await inp.movePointer(await w.inputCenter());
    return inp.pointer();
  };
  /** The whole screen into test-output/desktop/<name>.png, through nut-js (no imagemagick needed). */
  const screenshot = async (name: string) => {
    const nut = await loadNut();
    return nut.screen.capture(name, nut.FileType.PNG, OUT);
  };
  const everythingSent = async () => ({ alpha: await alpha.sent(), beta: await beta.sent(), gamma: await gamma.sent() });

  before(async () => {
    const t0 = Date.now();
    x = await startXDisplay({ width: 1280, height: 800, nutInProcess: true });
    // nut-js and its clipboard helper use this process's DISPLAY.
    process.env.DISPLAY = x.display;
    delete process.env.WAYLAND_DISPLAY;
    chat = await launchChatBrowser(x);
    alpha = await chat.open('Agent Alpha — repo-one');
    beta = await chat.open('Agent Beta — repo-two');
    gamma = await chat.open('Agent Gamma — repo-three', { sendChord: 'ctrl+enter' });
    boardDir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-desktop-'));
    desktop = createDesktopAutomation({ boardDir, settings: { lockTimeoutMs: 30_000 } });
    input = await NutInput.load();
    mkdirSync(OUT, { recursive: true });
    timings.setupMs = Date.now() - t0;
  });

  after(async () => {
    await desktop?.dispose();
    await chat?.close();
    await x?.stop();
    if (boardDir) rmSync(boardDir, { recursive: true, force: true });
    console.log(`desktop timings: ${JSON.stringify(timings)}`);
  });

  it('finds the windows with their unicode titles and arranges them in a grid of non-overlapping cells', async () => {
    const ws = [await windowFor('Agent Alpha'), await windowFor('Agent Beta'), await windowFor('Agent Gamma')];
    assert.equal(ws[0]!.title, 'Agent Alpha — repo-one - Chromium');
    const t = Date.now();
    const placed = await desktop.arrangeWindows(ws.map((w) => w.id), { gap: 10 });
    timings.arrangeMs = Date.now() - t;
    assert.equal(placed.length, 3);
    for (const p of placed) assert.ok(p.placed, `window ${p.id} is at its cell: wanted ${JSON.stringify(p.cell)}, got ${JSON.stringify(p.region)}`);
    const now = await Promise.all(ws.map(async (w) => (await desktop.windows()).find((n) => n.id === w.id)!));
    for (const [i, w] of now.entries()) {
      assert.deepEqual(w.region, placed[i]!.region, 'the window manager reports the region that was asked for');
      assert.ok(w.region.x >= 0 && w.region.y >= 0 && w.region.x + w.region.width <= 1280 && w.region.y + w.region.height <= 800, 'inside the screen');
    }
    for (let i = 0; i < now.length; i++) for (let j = i + 1; j < now.length; j++) assert.ok(!overlaps(now[i]!.region, now[j]!.region), `windows ${i} and ${j} do not overlap`);
    // 3 windows on 1280x800 with a 10 px gap: 2 columns x 2 rows.
    assert.deepEqual(placed.map((p) => p.cell), [
      { x: 10, y: 10, width: 625, height: 385 },
      { x: 645, y: 10, width: 625, height: 385 },
      { x: 10, y: 405, width: 625, height: 385 },
    ]);
    await sleep(300);
    assert.ok(existsSync(await screenshot('arranged')));
  });

  it('calibrates each agent window from the pointer position and stores it, validated', async () => {
    const t = Date.now();
    for (const [agent, w, send] of [['alpha', alpha, 'enter'], ['beta', beta, 'enter'], ['gamma', gamma, 'ctrl+enter']] as const) {
      const r = await desktop.calibrate(agent, { titlePattern: w.name, sendChord: send, capture: pointAt(w) });
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.ok(r.fingerprinted, 'the chat input area was fingerprinted (screen capture works under Xvfb)');
    }
    timings.calibrate3Ms = Date.now() - t;
    const file = await new CalibrationStore(boardDir).read();
    assert.deepEqual(Object.keys(file.agents).sort(), ['alpha', 'beta', 'gamma']);
    assert.equal(file.agents.gamma!.sendChord, 'ctrl+enter');
    assert.equal(file.agents.alpha!.pasteChord, 'ctrl+v');
    const statuses = await desktop.status(['alpha', 'beta', 'gamma', 'delta']);
    assert.deepEqual(statuses.map((s) => s.state), ['ready', 'ready', 'ready', 'not-calibrated']);
    const bad = await desktop.calibrate('alpha', { titlePattern: alpha.name, capture: async () => ({ x: 5000, y: 5 }) });
    assert.ok(!bad.ok && /outside the screen/.test(bad.message), 'a point off the screen is refused');
    const outside = await desktop.calibrate('alpha', { titlePattern: alpha.name, capture: async () => ({ x: 1270, y: 790 }) });
    assert.ok(!outside.ok && /not inside the window/.test(outside.message), 'a point outside the window is refused');
    assert.equal((await new CalibrationStore(boardDir).get('alpha'))!.input.x, file.agents.alpha!.input.x, 'a refused calibration keeps the previous one');
    // Without a key press (a terminal host): the pointer resting on the input is the confirmation.
    await input.movePointer(await gamma.inputCenter());
    const dwell = await desktop.calibrate('gamma', { titlePattern: gamma.name, sendChord: 'ctrl+enter', capture: dwellCapture({ dwellMs: 300, timeoutMs: 5_000 }) });
    assert.ok(dwell.ok, dwell.ok ? '' : dwell.message);
    assert.deepEqual(dwell.calibration.input, await gamma.inputCenter());
  });

  it('pastes text with unicode, quotes, newlines and shell metacharacters exactly, sends it, and restores clipboard and pointer', async () => {
    await input.writeClipboard('the person’s own clipboard ✓');
    await input.movePointer({ x: 3, y: 3 });
    const t = Date.now();
    const r = await desktop.sendToAgent('alpha', NASTY, never());
    timings.pasteSendMs = Date.now() - t;
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.detail?.ok && r.detail.method, 'paste');
    assert.ok(r.detail?.ok && r.detail.clipboardRestored);
    assert.deepEqual(await alpha.sent(), [NASTY], 'exactly the text arrived, and was sent once');
    assert.equal(await alpha.draft(), '', 'the input is empty after sending');
    assert.equal(await input.readClipboard(), 'the person’s own clipboard ✓', 'the clipboard is the person’s again');
    assert.deepEqual(await input.pointer(), { x: 3, y: 3 }, 'the pointer is back');
    assert.deepEqual(await beta.sent(), [], 'no other window got anything');
    assert.deepEqual(await gamma.sent(), []);
    // Without the send chord the text waits in the input: the picture shows what arrived.
    const held = await desktop.sendToAgent('beta', NASTY, never(), { send: false });
    assert.ok(held.ok && held.detail?.ok && !held.detail.sent);
    // X11 paste is asynchronous (Chromium asks the clipboard's owner for the text): look once it has settled.
    let draft = await beta.draft();
    for (let i = 0; i < 50 && draft !== NASTY; i++) {
      await new Promise((r) => setTimeout(r, 100));
      draft = await beta.draft();
    }
    assert.equal(draft, NASTY, 'the pasted text waits in the input, exactly');
    assert.deepEqual(await beta.sent(), []);
    await screenshot('delivered');
    await beta.page.evaluate(() => void ((document.getElementById('input') as HTMLTextAreaElement).value = ''));
  });

  it('sends with the configured chord (Ctrl+Enter): pasted newlines do not send early', async () => {
    const text = 'line one\nline two\n\nline four';
    const r = await desktop.sendToAgent('gamma', text, never());
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(await gamma.sent(), [text]);
  });

  it('types short unshifted ASCII key by key and replaces a stale draft', async () => {
    await beta.page.evaluate(() => void ((document.getElementById('input') as HTMLTextAreaElement).value = 'half-typed draft'));
    const r = await desktop.sendToAgent('beta', 'run the tests', never());
    assert.ok(r.ok && r.detail?.ok && r.detail.method === 'typed', JSON.stringify(r));
    assert.deepEqual(await beta.sent(), ['run the tests']);
  });

  it('refuses a window whose title no longer matches, and two windows that match one pattern', async () => {
    const before = await everythingSent();
    await alpha.setTitle('Something else entirely');
    await sleep(200);
    const r = await desktop.sendToAgent('alpha', 'must not arrive', never());
    assert.ok(!r.ok && r.code === 'window-not-found', JSON.stringify(r));
    await alpha.setTitle('Agent Alpha — repo-one');
    await sleep(200);
    const ac = new AbortController();
    ac.abort();
    const stopped = await desktop.sendToAgent('alpha', 'must not arrive', ac.signal);
    assert.ok(!stopped.ok && stopped.code === 'aborted', JSON.stringify(stopped));
    // Calibrated with a pattern that matches two windows ("repo-t" is in repo-two and repo-three).
    const amb = await desktop.calibrate('twins', { titlePattern: 'repo-t', capture: pointAt(beta) });
    assert.ok(!amb.ok && /2 windows match/.test(amb.message), amb.ok ? 'calibrated an ambiguous pattern' : amb.message);
    assert.deepEqual(await everythingSent(), before, 'nothing was typed anywhere');
    assert.equal(await alpha.draft(), '');
  });

  it('detects a moved or resized window as a UI change: nothing typed, recalibration needed, re-check adopts a pure move', async () => {
    const w = await windowFor('Agent Alpha');
    const store = new CalibrationStore(boardDir);
    const cal = (await store.get('alpha'))!;
    assert.deepEqual(w.region, cal.windowRegion);
    // Move it 40 px right (same size).
    await desktop.arrangeWindows([w.id], { area: { x: cal.windowRegion.x + 40, y: cal.windowRegion.y, width: cal.windowRegion.width, height: cal.windowRegion.height }, gap: 0 });
    const moved = await desktop.sendToAgent('alpha', 'must not arrive', never());
    assert.ok(!moved.ok && moved.code === 'needs-recalibration' && moved.recalibrate, JSON.stringify(moved));
    assert.match(moved.reason, /moved from \(\d+, \d+\) to \(\d+, \d+\)/);
    assert.ok((await store.get('alpha'))!.stale, 'the agent is marked as needing recalibration');
    assert.equal((await desktop.status(['alpha']))[0]!.state, 'needs-recalibration');
    const again = await desktop.sendToAgent('alpha', 'must not arrive either', never());
    assert.ok(!again.ok && again.code === 'needs-recalibration', 'stays refused until re-checked');
    const re = await desktop.recheck('alpha', { adoptMoved: true });
    assert.ok(re.ok && re.adopted, JSON.stringify(re));
    assert.equal((await store.get('alpha'))!.stale, undefined);
    const ok = await desktop.sendToAgent('alpha', 'after the move', never());
    assert.ok(ok.ok, ok.ok ? '' : ok.reason);
    // Resize: refused, and re-check cannot adopt it.
    const cal2 = (await store.get('alpha'))!;
    await desktop.arrangeWindows([w.id], { area: { ...cal2.windowRegion, width: cal2.windowRegion.width - 60 }, gap: 0 });
    const resized = await desktop.sendToAgent('alpha', 'must not arrive', never());
    assert.ok(!resized.ok && resized.code === 'needs-recalibration' && /resized/.test(resized.reason), JSON.stringify(resized));
    const re2 = await desktop.recheck('alpha', { adoptMoved: true });
    assert.ok(!re2.ok && re2.problem === 'needs-recalibration');
    assert.deepEqual(await alpha.sent(), [NASTY, 'after the move']);
    // Recalibrate where it is now; it works again.
    const recal = await desktop.calibrate('alpha', { titlePattern: alpha.name, capture: pointAt(alpha) });
    assert.ok(recal.ok);
    assert.ok((await desktop.sendToAgent('alpha', 'recalibrated', never())).ok);
    assert.deepEqual((await alpha.sent()).slice(-1), ['recalibrated']);
  });

  it('detects a changed layout around the chat input from its fingerprint', async () => {
    // Some text in the input is still the same place...
    await beta.page.evaluate(() => void ((document.getElementById('input') as HTMLTextAreaElement).value = 'a draft the person left here'));
    const withDraft = await desktop.recheck('beta');
    assert.ok(withDraft.ok, JSON.stringify(withDraft));
    timings.fingerprintDraftMean = Math.round((withDraft.fingerprint?.mean ?? -1) * 1000) / 1000;
    timings.fingerprintDraftCells = Math.round((withDraft.fingerprint?.changedCells ?? -1) * 1000) / 1000;
    // ...a dialog over it is not.
    await beta.cover(true);
    const r = await desktop.sendToAgent('beta', 'must not arrive', never());
    assert.ok(!r.ok && r.code === 'needs-recalibration' && /looks different/.test(r.reason), JSON.stringify(r));
    const covered = await desktop.recheck('beta');
    assert.ok(!covered.ok && covered.fingerprint);
    timings.fingerprintCoveredMean = Math.round(covered.fingerprint.mean * 1000) / 1000;
    timings.fingerprintCoveredCells = Math.round(covered.fingerprint.changedCells * 1000) / 1000;
    await beta.cover(false);
    const back = await desktop.recheck('beta');
    assert.ok(back.ok, 'with the dialog gone, the re-check passes and clears the mark');
    assert.equal((await desktop.status(['beta']))[0]!.state, 'ready');
    assert.deepEqual(await beta.sent(), ['run the tests']);
    await beta.page.evaluate(() => void ((document.getElementById('input') as HTMLTextAreaElement).value = ''));
  });

  it('serialises two injecting processes with the input lock: neither text is garbled', async () => {
    const long = (tag: string) => Array.from({ length: 40 }, (_, i) => `${tag} line ${i}: ünïcödé "${tag}" <${i}> & $(echo ${tag}) ✓`).join('\n');
    const texts = { alpha: long('ALPHA'), beta: long('BETA') };
    const run = (agent: 'alpha' | 'beta') =>
      new Promise<{ startedAt: number; endedAt: number; result: { ok: boolean; detail?: { timings: { lockMs: number; lockedAt: number; doneAt: number } } } }>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ mode: 'send', boardDir, agent, text: texts[agent] })], { env: x.env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('exit', (code) => {
          try {
            const line = JSON.parse(out.trim().split('\n').pop()!) as { crashed?: string };
            if (line.crashed || code !== 0) reject(new Error(`child ${agent} failed (${code}): ${line.crashed ?? out}`));
            else resolve(line as never);
          } catch (err) {
            reject(new Error(`child ${agent} printed ${out}: ${(err as Error).message}`));
          }
        });
      });
    const sentBefore = { alpha: (await alpha.sent()).length, beta: (await beta.sent()).length };
    const t = Date.now();
    const [a, b] = await Promise.all([run('alpha'), run('beta')]);
    timings.twoProcessesMs = Date.now() - t;
    assert.ok(a.result.ok && b.result.ok, JSON.stringify({ a, b }));
    assert.deepEqual((await alpha.sent()).slice(sentBefore.alpha), [texts.alpha]);
    assert.deepEqual((await beta.sent()).slice(sentBefore.beta), [texts.beta]);
    // One held the lock while the other waited for it: their lock-held spans do not overlap.
    const span = (r: typeof a) => ({ from: r.result.detail!.timings.lockedAt, to: r.result.detail!.timings.doneAt });
    const [first, second] = [span(a), span(b)].sort((p, q) => p.from - q.from);
    assert.ok(second!.from >= first!.to, `lock spans overlap: ${JSON.stringify([first, second])}`);
    timings.secondWaitedMs = Math.max(a.result.detail!.timings.lockMs, b.result.detail!.timings.lockMs);
  });

  it('minimizes and restores an agent window; an injection restores a minimized one', async () => {
    const w = await windowFor('Agent Gamma');
    await desktop.minimize('gamma');
    const until = Date.now() + 3_000;
    while (!(await desktop.windows()).find((v) => v.id === w.id)!.minimized && Date.now() < until) await sleep(30);
    assert.ok((await desktop.windows()).find((v) => v.id === w.id)!.minimized, 'minimized');
    const r = await desktop.sendToAgent('gamma', 'to a minimized window', never());
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual((await gamma.sent()).slice(-1), ['to a minimized window']);
    assert.equal((await desktop.windows()).find((v) => v.id === w.id)!.minimized, false);
  });

  it('reports windows that appear and close', async () => {
    const events: { type: string; id: string; title: string }[] = [];
    const stop = await desktop.watch((e) => events.push({ type: e.type, id: e.window.id, title: e.window.title }), 100);
    await sleep(250);
    const extra = await chat.open('Transient window');
    const theId = () => events.find((e) => e.title.startsWith('Transient window'))?.id;
    const until = Date.now() + 5_000;
    while (!theId() && Date.now() < until) await sleep(50);
    await extra.close();
    while (!events.some((e) => e.type === 'closed' && e.id === theId()) && Date.now() < until + 5_000) await sleep(50);
    stop();
    const mine = events.filter((e) => e.id === theId()).map((e) => e.type);
    assert.equal(mine[0], 'appeared', JSON.stringify(events));
    assert.equal(mine.at(-1), 'closed', JSON.stringify(events));
    // Chromium titles a new window "about:blank" first: that shows up as a title change.
    assert.ok(mine.every((t) => ['appeared', 'changed', 'closed'].includes(t)));
  });

  it('without a display, or with one that cannot be reached, says "needs a display" and does not crash', async () => {
    const run = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ mode: 'headless', boardDir, agent: 'alpha', text: 'x' })], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `exit ${r.status} ${r.signal}: ${r.stdout} ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
        availability: { ok: boolean; code: string; message: string };
        status: { state: string }[];
        send: { ok: boolean; reason: string };
        calibrate: { ok: boolean; message: string };
      };
    };
    const noDisplay = { ...process.env };
    delete noDisplay.DISPLAY;
    delete noDisplay.WAYLAND_DISPLAY;
    const a = run(noDisplay);
    assert.equal(a.availability.ok, false);
    assert.equal(a.availability.code, 'needs-display');
    assert.match(a.availability.message, /needs a display/);
    assert.deepEqual(a.status.map((s) => s.state), ['needs-display']);
    assert.equal(a.send.ok, false);
    assert.match(a.send.reason, /needs a display/);
    assert.match(a.calibrate.message, /needs a display/);
    const b = run({ ...noDisplay, DISPLAY: ':987' });
    assert.equal(b.availability.code, 'needs-display');
    assert.match(b.availability.message, /cannot reach the display :987/);
    const off = createDesktopAutomation({ boardDir, settings: { enabled: false } });
    const c = await off.sendToWindow('Agent Alpha', 'x', never());
    assert.ok(!c.ok && /turned off/.test(c.reason));
    const calFile = JSON.parse(readFileSync(path.join(boardDir, 'desktop-calibration.json'), 'utf8')) as { version: number };
    assert.equal(calFile.version, 1);
  });
});
