import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

  it('the dashboard imports only types from the host side, or host modules that import nothing (no zod in the bundle)', () => {
    const offenders: string[] = [];
    const runtimeImport = /^import\s+(?!type\b)[^'"]*from\s*['"]([^'"]+)['"]/gm;
    for (const f of sources('webview-ui')) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(runtimeImport)) {
        if (!m[1]!.startsWith('../../src/')) continue;
        // A leaf module (src/protocol/names.ts: plain functions) is shared code, not the host side.
        const target = `${path.resolve(path.dirname(f), m[1]!)}.ts`;
        const leaf = existsSync(target) && [...readFileSync(target, 'utf8').matchAll(runtimeImport)].length === 0;
        if (!leaf) offenders.push(`${path.relative(root, f)}: ${m[1]}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('has no import cycle anywhere in src/ or webview-ui/ (type imports count: they couple files too)', () => {
    const files = [...sources('src'), ...sources('webview-ui/src')].filter((f) => !f.endsWith('.d.ts'));
    const resolve = (from: string, spec: string): string | undefined => {
      if (!spec.startsWith('.')) return undefined;
      const base = path.resolve(path.dirname(from), spec);
      return [`${base}.ts`, path.join(base, 'index.ts')].find((c) => files.includes(c));
    };
    const graph = new Map(files.map((f) => [f, [...new Set(imports(f).map((s) => resolve(f, s)).filter((x): x is string => x !== undefined))]]));
    // Tarjan's strongly connected components: every component of more than one file is a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(path.relative(root, w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    };
    for (const f of graph.keys()) if (!index.has(f)) visit(f);
    assert.ok(graph.size > 50, 'found the sources');
    assert.deepEqual(cycles, [], `import cycles: ${cycles.map((c) => c.join(' ↔ ')).join('; ')}`);
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
  it("a file's name says what it is without its folder: no two sources share a name", () => {
    // Allowed: the bundles' entry points (main.ts, launch.ts) and the CLI's group files, each named
    // for its `dreamos <group>` (src/cli/commands/task.ts is `dreamos task`).
    const allowed = (rel: string) => /(^|\/)(main|launch)\.ts$/.test(rel) || rel.startsWith('src/cli/commands/');
    const byName = new Map<string, string[]>();
    for (const f of [...sources('src'), ...sources('webview-ui')]) {
      const rel = path.relative(root, f).split(path.sep).join('/');
      if (allowed(rel)) continue;
      const name = path.basename(rel);
      byName.set(name, [...(byName.get(name) ?? []), rel]);
    }
    const clashes = [...byName.values()].filter((files) => files.length > 1).map((files) => files.join(' and '));
    assert.ok(byName.size > 100, 'found the sources');
    assert.deepEqual(clashes, []);
  });
});
