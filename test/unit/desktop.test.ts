/**
 * The parts of desktop automation that need no display: grid geometry, chords, title patterns,
 * fingerprints, window diffs, the calibration file and the availability checks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkAvailability } from '../../src/integrations/desktop/availability';
import { CalibrationStore, CALIBRATION_FILE, type AgentCalibration } from '../../src/integrations/desktop/calibration';
import { canTypeKeyByKey, formatChord, parseChord, platformChords } from '../../src/integrations/desktop/chords';
import { compareFingerprints, downscale, makeFingerprint, patchAround, withinTolerance } from '../../src/integrations/desktop/fingerprint';
import { gridCells, overlaps, sameRect, describeChange, type Rect } from '../../src/integrations/desktop/geometry';
import type { Pixels } from '../../src/integrations/desktop/input';
import { diffWindows } from '../../src/integrations/desktop/windowRegistry';
import { titleMatcher } from '../../src/integrations/desktop/titles';
import type { DesktopWindow } from '../../src/integrations/desktop/windows';

describe('grid arrangement', () => {
  const screen: Rect = { x: 0, y: 0, width: 1920, height: 1200 };
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12]) {
    it(`${n} window(s): cells inside the area, none overlapping, equal sizes`, () => {
      const cells = gridCells(n, screen, { gap: 8 });
      assert.equal(cells.length, n);
      for (const c of cells) {
        assert.ok(c.x >= screen.x && c.y >= screen.y && c.x + c.width <= screen.x + screen.width && c.y + c.height <= screen.y + screen.height, JSON.stringify(c));
        assert.equal(c.width, cells[0]!.width);
        assert.equal(c.height, cells[0]!.height);
      }
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.ok(!overlaps(cells[i]!, cells[j]!), `${i} and ${j}`);
    });
  }
  it('picks the layout closest to the screen shape: 2 side by side, 4 as 2x2, 6 as 3x2', () => {
    const cols = (n: number) => new Set(gridCells(n, screen).map((c) => c.x)).size;
    assert.equal(cols(2), 2);
    assert.equal(cols(4), 2);
    assert.equal(cols(6), 3);
  });
  it('works in an offset area (a second monitor) and honours a column count', () => {
    const cells = gridCells(3, { x: 1920, y: 100, width: 1280, height: 1000 }, { columns: 3, gap: 0 });
    assert.deepEqual(cells.map((c) => c.x), [1920, 2346, 2772]);
    assert.ok(cells.every((c) => c.y === 100 && c.height === 1000));
  });
  it('refuses cells too small to use, with the sizes in the message', () => {
    assert.throws(() => gridCells(40, { x: 0, y: 0, width: 800, height: 600 }), /do not fit in 800x600/);
    assert.throws(() => gridCells(0, screen), /at least one window/);
  });
  it('compares regions with a tolerance and says what changed', () => {
    assert.ok(sameRect({ x: 0, y: 0, width: 10, height: 10 }, { x: 2, y: 0, width: 10, height: 8 }));
    assert.ok(!sameRect({ x: 0, y: 0, width: 10, height: 10 }, { x: 3, y: 0, width: 10, height: 10 }));
    assert.equal(describeChange({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 20, height: 10 }), 'moved from (0, 0) to (5, 0) and resized from 10x10 to 20x10');
  });
});

describe('chords and typing', () => {
  it('parses and normalises chords', () => {
    assert.equal(formatChord(parseChord('Ctrl+Enter')), 'ctrl+enter');
    assert.equal(formatChord(parseChord('shift + control + return')), 'ctrl+shift+enter');
    assert.equal(formatChord(parseChord('Cmd+V')), 'cmd+v');
    assert.throws(() => parseChord('ctrl+q'), /last key must be one of/);
    assert.throws(() => parseChord('hyper+enter'), /not a modifier/);
    assert.deepEqual(platformChords('darwin'), { paste: 'cmd+v', selectAll: 'cmd+a' });
    assert.deepEqual(platformChords('linux'), { paste: 'ctrl+v', selectAll: 'ctrl+a' });
  });
  it('types key by key only short unshifted ASCII', () => {
    assert.ok(canTypeKeyByKey('run the tests'));
    assert.ok(canTypeKeyByKey('fix src/app.ts, line 12.'));
    for (const t of ['', 'A capital', 'a > b', 'quote "x"', 'new\nline', 'ünï', 'x'.repeat(65), '$(rm -rf ~)', 'a_b', 'what?']) assert.ok(!canTypeKeyByKey(t), JSON.stringify(t));
  });
});

describe('title patterns', () => {
  it('matches a plain pattern anywhere, case-insensitively, and /regex/flags as a regex', () => {
    assert.ok(titleMatcher('my-repo').test('app.ts — My-Repo — Cursor'));
    assert.ok(!titleMatcher('my-repo').test('app.ts — other — Cursor'));
    assert.ok(titleMatcher('/— my-repo — (Cursor|Visual Studio Code)$/').test('x — my-repo — Cursor'));
    assert.ok(!titleMatcher('/^Cursor$/').test('cursor'));
    assert.ok(titleMatcher('/^cursor$/i').test('CURSOR'));
    assert.throws(() => titleMatcher('/([/'), /not a valid regular expression/);
  });
});

describe('fingerprints', () => {
  const solid = (w: number, h: number, grey: (x: number, y: number) => number): Pixels => {
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const g = grey(x, y);
        data.set([g, g, g, 255], (y * w + x) * 4);
      }
    return { width: w, height: h, channels: 4, rowBytes: w * 4, data };
  };
  const region = { x: 0, y: 0, width: 240, height: 64 };
  it('downscales to a grid of mean grey levels, honouring row padding', () => {
    const px = solid(48, 16, (x) => (x < 24 ? 0 : 200));
    const cells = downscale(px, 2, 1);
    assert.deepEqual([...cells], [0, 200]);
    const padded: Pixels = { ...px, rowBytes: 48 * 4 + 16, data: new Uint8Array((48 * 4 + 16) * 16) };
    for (let y = 0; y < 16; y++) padded.data.set(px.data.subarray(y * 192, y * 192 + 192), y * (192 + 16));
    assert.deepEqual([...downscale(padded, 2, 1)], [0, 200]);
  });
  it('tolerates a few characters in the input, not a different panel', () => {
    const empty = makeFingerprint(region, solid(240, 64, () => 250));
    const someText = makeFingerprint(region, solid(240, 64, (x, y) => (y > 28 && y < 36 && x < 60 && x % 3 === 0 ? 20 : 250)));
    const dialog = makeFingerprint(region, solid(240, 64, () => 120));
    assert.ok(withinTolerance(compareFingerprints(empty, empty)));
    assert.ok(withinTolerance(compareFingerprints(empty, someText)), JSON.stringify(compareFingerprints(empty, someText)));
    assert.ok(!withinTolerance(compareFingerprints(empty, dialog)));
    assert.deepEqual(compareFingerprints(empty, { ...empty, cellsX: 3 }), { mean: 1, changedCells: 1 });
  });
  it('keeps the patch inside the window', () => {
    assert.deepEqual(patchAround({ x: 10, y: 10 }, { x: 0, y: 0, width: 500, height: 400 }), { x: 0, y: 0, width: 190, height: 58 });
    assert.equal(patchAround({ x: 10, y: 10 }, { x: 1000, y: 1000, width: 50, height: 50 }), null);
  });
});

describe('window diffs', () => {
  const w = (id: string, title: string, x = 0, minimized = false): DesktopWindow => ({ id, title, region: { x, y: 0, width: 100, height: 100 }, minimized });
  it('reports closed, changed (title, region, minimized) and appeared windows', () => {
    const before = [w('1', 'a'), w('2', 'b'), w('3', 'c')];
    const after = [w('2', 'b2', 5), w('3', 'c', 0, true), w('4', 'd')];
    assert.deepEqual(
      diffWindows(before, after).map((e) => `${e.type}:${e.window.id}${e.type === 'changed' ? `:${e.changes.join('+')}` : ''}`),
      ['closed:1', 'changed:2:title+region', 'changed:3:minimized', 'appeared:4'],
    );
    assert.deepEqual(diffWindows(after, after), []);
  });
});

describe('calibration file', () => {
  const cal: AgentCalibration = {
    titlePattern: 'repo-one',
    windowTitle: 'x — repo-one — Cursor',
    windowId: '4194307',
    windowRegion: { x: 10, y: 10, width: 800, height: 600 },
    input: { x: 300, y: 560 },
    inputOffset: { x: 290, y: 550 },
    fingerprint: null,
    screen: { width: 1920, height: 1080 },
    pasteChord: 'ctrl+v',
    sendChord: 'Ctrl+Enter',
    clearInput: true,
    calibratedAt: new Date().toISOString(),
  };
  it('stores per agent, normalises chords, marks and clears stale, writes atomically', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cal-'));
    try {
      const store = new CalibrationStore(dir);
      assert.deepEqual(await store.read(), { version: 1, agents: {} });
      await Promise.all([store.put('alpha', cal), store.put('beta', { ...cal, titlePattern: 'repo-two' })]);
      const f = await store.read();
      assert.deepEqual(Object.keys(f.agents).sort(), ['alpha', 'beta']);
      assert.equal(f.agents.alpha!.sendChord, 'ctrl+enter');
      await store.markStale('alpha', 'moved');
      assert.equal((await store.get('alpha'))!.stale!.reason, 'moved');
      await store.clearStale('alpha');
      assert.equal((await store.get('alpha'))!.stale, undefined);
      await store.remove('beta');
      assert.equal(await store.get('beta'), null);
      await assert.rejects(store.put('bad name!', cal), /agent names/);
      await assert.rejects(store.put('alpha', { ...cal, sendChord: 'ctrl+q' }), /last key must be one of/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses a damaged file with what is wrong and what to do', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cal-'));
    try {
      writeFileSync(path.join(dir, CALIBRATION_FILE), '{"version":1,"agents":{"alpha":{"titlePattern":""}}}');
      await assert.rejects(new CalibrationStore(dir).read(), (err: Error) => /not a valid calibration file/.test(err.message) && /Calibrate Agent Window/.test(err.message));
      writeFileSync(path.join(dir, CALIBRATION_FILE), '{nope');
      await assert.rejects(new CalibrationStore(dir).read(), /not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('availability', () => {
  it('needs a display on Linux, says so, and names the fallback', () => {
    const r = checkAvailability({ platform: 'linux', env: {} });
    assert.ok(!r.ok && r.code === 'needs-display' && /DISPLAY is not set/.test(r.message) && /command or language-model agent/.test(r.message));
    const w = checkAvailability({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' } });
    assert.ok(!w.ok && /Wayland session without XWayland/.test(w.message));
    const xw = checkAvailability({ platform: 'linux', env: { DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' } });
    assert.ok(xw.ok && /XWayland/.test(xw.warning ?? ''));
    assert.ok(checkAvailability({ platform: 'linux', env: { DISPLAY: ':1' } }).ok);
  });
  it('can be turned off, and refuses unknown platforms and SSH sessions on macOS', () => {
    const off = checkAvailability({ platform: 'linux', env: { DISPLAY: ':0' }, enabled: false });
    assert.ok(!off.ok && off.code === 'disabled');
    assert.ok(!checkAvailability({ platform: 'freebsd', env: {} }).ok);
    const ssh = checkAvailability({ platform: 'darwin', env: { SSH_CONNECTION: '1 2 3 4' } });
    assert.ok(!ssh.ok && ssh.code === 'needs-display');
  });
});
