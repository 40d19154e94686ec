import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe('layering', () => {
  it('src/core imports neither vscode nor the hosts nor the integrations', () => {
    const files = sources('src/core');
    assert.ok(files.length > 5, 'found the core sources');
    const offenders: string[] = [];
    for (const f of files) {
      for (const spec of imports(f)) {
        const resolved = spec.startsWith('.') ? path.resolve(path.dirname(f), spec) : spec;
        const bad =
          spec === 'vscode' ||
          ['src/extension', 'src/integrations', 'src/cli', 'webview-ui'].some((d) => resolved.startsWith(path.join(root, d)));
        if (bad) offenders.push(`${path.relative(root, f)} imports ${spec}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('the dashboard imports only types from the host side', () => {
    const offenders: string[] = [];
    for (const f of sources('webview-ui')) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\b)[^'"]*from\s*['"](\.\.\/\.\.\/src\/[^'"]+)['"]/gm)) offenders.push(`${path.relative(root, f)}: ${m[1]}`);
    }
    assert.deepEqual(offenders, []);
  });

  it('heavy and native modules are never imported at the top level of the extension or the CLI', () => {
    const heavy = ['discord.js', '@nut-tree-fork/nut-js', 'playwright-core', 'better-sqlite3'];
    const offenders: string[] = [];
    for (const f of [...sources('src/extension'), ...sources('src/cli'), ...sources('src/core')]) {
      const text = readFileSync(f, 'utf8');
      for (const h of heavy) if (new RegExp(`^import[^;]*['"]${h.replace('/', '\\/')}['"]`, 'm').test(text)) offenders.push(`${path.relative(root, f)} imports ${h}`);
    }
    assert.deepEqual(offenders, []);
  });
});
