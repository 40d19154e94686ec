import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readZip, type ZipEntry } from '../helpers/zip';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, `dreamos-${pkg.version}.vsix`);

describe('the packaged .vsix', () => {
  let entries: ZipEntry[];
  before(() => {
    // Package when there is no .vsix or it is older than the manifest (npm test packages first).
    if (!existsSync(vsix) || statSync(vsix).mtimeMs < statSync(path.join(root, 'package.json')).mtimeMs) {
      execFileSync('npm', ['run', 'package', '--silent'], { cwd: root, stdio: 'inherit' });
    }
    entries = readZip(vsix);
  });

  it('contains the bundles, the sql.js wasm, media and docs', () => {
    const names = new Set(entries.map((e) => e.name));
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/sql-wasm.wasm', 'extension/dist/webview/dashboard.js', 'extension/dist/webview/dashboard.css', 'extension/dist/webview/phone.js', 'extension/dist/webview/phone.css', 'extension/dist/vendor/discord.js', 'extension/dist/vendor/x11.js', 'extension/media/icon.png', 'extension/media/dreamos.svg', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt']) {
      assert.ok(names.has(f), `missing ${f}`);
    }
  });

  it('leaves out sources, tests, source maps, node_modules and local state', () => {
    const stray = entries
      .map((e) => e.name)
      .filter((n) => /(^|\/)(src|test|webview-ui|bench|scripts|node_modules|\.dreamos|\.ci|test-output)\//.test(n.replace(/^extension\//, '')) || /\.(ts|map|vsix)$/.test(n) || /tsconfig|esbuild\.mjs|eslint/.test(n));
    assert.deepEqual(stray, []);
  });

  it('ships the wasm byte-for-byte and the extension bundle loads it from its own folder', () => {
    const wasm = entries.find((e) => e.name === 'extension/dist/sql-wasm.wasm')!;
    assert.deepEqual(wasm.read(), readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')));
    const bundle = entries.find((e) => e.name === 'extension/dist/extension.js')!.read().toString('utf8');
    assert.match(bundle, /sql-wasm\.wasm/);
    assert.doesNotMatch(bundle, /require\("vscode"\)[\s\S]*require\("discord\.js"\)/, 'no top-level discord.js');
  });

  it('stays small', () => {
    const total = entries.reduce((n, e) => n + e.size, 0);
    assert.ok(total < 8 * 1024 * 1024, `unpacked size ${total} bytes`);
  });

  it('validates as a manifest vsce accepts', () => {
    const manifest = entries.find((e) => e.name === 'extension.vsixmanifest')!.read().toString('utf8');
    assert.match(manifest, /Id="dreamos"/);
    assert.match(manifest, /Publisher="dreamos"/);
    assert.match(manifest, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.96\.0"/);
  });
});
