// Builds the three bundles Dream.OS ships: the extension host bundle, the `dreamos` CLI and the
// dashboard webview. `--production` minifies (for packaging); `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const outdir = 'dist';

/** Copies the sql.js wasm beside the bundles: the store loads it from the extension's own folder. */
const copyWasm = {
  name: 'copy-sqljs-wasm',
  setup(build) {
    build.onEnd(async () => {
      await mkdir(outdir, { recursive: true });
      await copyFile(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(outdir, 'sql-wasm.wasm'));
    });
  },
};

/** Prints errors in the `file:line:col: error:` shape the VS Code problem matcher understands. */
const reportProblems = {
  name: 'report-problems',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log(`[watch] build finished (${result.errors.length} errors)`);
    });
  },
};

/**
 * zod's classic API re-exports every locale (~260 KB minified) through a namespace that cannot be
 * tree-shaken; Dream.OS's messages are English, so only the English locale is bundled.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /zod[\\/]v4[\\/](classic|core|mini)/.test(args.importer) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * The MCP SDK ships an ESM and a CommonJS copy; a `require()` of it (the lazily loaded MCP handler)
 * picked the CommonJS one beside the ESM one the rest imports, and with it zod's CommonJS copy with
 * every locale: ~600 KB more for the CLI to read, hash and parse on every call. Resolved as an
 * import, there is one copy of each.
 */
const mcpSdkOnce = {
  name: 'mcp-sdk-once',
  setup(build) {
    build.onResolve({ filter: /^@modelcontextprotocol\/sdk\// }, (args) =>
      args.kind === 'require-call' ? build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer }) : undefined,
    );
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? 'linked' : true,
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [reportProblems, zodEnglishOnly, mcpSdkOnce],
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Heavy or native modules are loaded lazily, only when their feature is enabled.
  external: ['vscode', 'sql.js/dist/sql-wasm.wasm', 'discord.js', 'x11', '@nut-tree-fork/nut-js', 'better-sqlite3', 'playwright-core'],
};

/**
 * The third-party libraries only `dreamos serve` and `dreamos mcp` (and the dashboard server) use —
 * hono, rate-limiter-flexible, ws, the MCP SDK with ajv — are ~450 KB that every `dreamos` call
 * read, hashed and parsed although it never runs them. The CLI bundle gets them from their own
 * bundle beside it, dist/vendor/cli-serve.js, required on first use. Only third-party code moves
 * there (none of Dream.OS's own modules, so there is one DreamError and one of every module), and
 * the vendor bundle takes zod from the CLI bundle, so schemas and their registry stay one copy.
 */
const CLI_VENDOR = ['hono', 'hono/body-limit', 'hono/streaming', '@hono/node-server', 'rate-limiter-flexible', 'ws', '@modelcontextprotocol/sdk/server/mcp.js', '@modelcontextprotocol/sdk/server/stdio.js', '@modelcontextprotocol/sdk/server/streamableHttp.js'];
const CLI_SHARED = ['zod', 'zod/v4', 'zod/v4-mini'];
const exact = (specs) => new RegExp(`^(${specs.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);

/** In the CLI bundle: each vendored library is a stub that requires dist/vendor/cli-serve.js. */
const cliVendorStubs = {
  name: 'cli-vendor-stubs',
  setup(build) {
    build.onResolve({ filter: exact(CLI_VENDOR) }, (args) => ({ path: args.path, namespace: 'cli-vendor' }));
    // The stub's require('zod') must be the ESM copy the rest of the bundle imports, not zod's CommonJS one.
    build.onResolve({ filter: exact(CLI_SHARED) }, (args) => (args.namespace === 'cli-vendor' ? build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir }) : undefined));
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor' }, (args) => ({
      resolveDir: path.resolve('.'),
      loader: 'js',
      contents: `const file = require('node:path').join(__dirname, 'vendor', 'cli-serve.js');
let v;
try { v = require(file); } catch (err) { throw new Error(\`\${file} cannot be loaded (\${err.message}): rebuild (npm run build) or reinstall Dream.OS.\`); }
v.provide({ ${CLI_SHARED.map((s) => `${JSON.stringify(s)}: () => require(${JSON.stringify(s)})`).join(', ')} });
module.exports = v.load(${JSON.stringify(args.path)});`,
    }));
  },
};

/** dist/vendor/cli-serve.js: the vendored libraries by name; zod comes from the CLI bundle (provide). */
const cliVendorEntry = {
  name: 'cli-vendor-entry',
  setup(build) {
    build.onResolve({ filter: /^cli-vendor:entry$/ }, () => ({ path: 'entry', namespace: 'cli-vendor' }));
    build.onResolve({ filter: /^cli-vendor:shared$/ }, () => ({ path: 'shared', namespace: 'cli-vendor' }));
    build.onResolve({ filter: exact(CLI_SHARED) }, (args) => ({ path: args.path, namespace: 'cli-vendor-zod' }));
    const shared = `let given; exports.provide = (s) => void (given ??= s);
exports.get = (spec) => { if (!given) throw new Error('dist/vendor/cli-serve.js was loaded without the CLI bundle\\'s zod'); return given[spec](); };`;
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor' }, (args) => ({
      resolveDir: path.resolve('.'),
      loader: 'js',
      contents:
        args.path === 'shared'
          ? shared
          : `const shared = require('cli-vendor:shared');
const table = { ${CLI_VENDOR.map((s) => `${JSON.stringify(s)}: () => require(${JSON.stringify(s)})`).join(',\n')} };
exports.provide = shared.provide;
exports.load = (spec) => { const f = table[spec]; if (!f) throw new Error(\`\${spec} is not in dist/vendor/cli-serve.js: rebuild (npm run build)\`); return f(); };`,
    }));
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor-zod' }, (args) => ({ resolveDir: path.resolve('.'), loader: 'js', contents: `module.exports = require('cli-vendor:shared').get(${JSON.stringify(args.path)});` }));
  },
};

const configs = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir, plugins: [...common.plugins, copyWasm] },
  // The extension's entry (package.json "main"): starts dist/extension.js from a V8 code cache (src/extension/launch.ts).
  { ...node, entryPoints: { launch: 'src/extension/launch.ts' }, outdir },
  // `dreamos`: dist/cli.js only starts dist/cli-main.js from a V8 code cache (src/cli/launch.ts).
  { ...node, entryPoints: { 'cli-main': 'src/cli/main.ts' }, outdir, plugins: [...common.plugins, cliVendorStubs] },
  { ...node, entryPoints: { 'vendor/cli-serve': 'cli-vendor:entry' }, outdir, plugins: [...common.plugins, cliVendorEntry] },
  { ...node, entryPoints: { cli: 'src/cli/launch.ts' }, outdir, banner: { js: '#!/usr/bin/env node' } },
  // discord.js as its own bundle, loaded only when Discord is connected (a .vsix has no node_modules).
  {
    ...node,
    external: ['zlib-sync', 'bufferutil', 'utf-8-validate'],
    entryPoints: { 'vendor/discord': require.resolve('discord.js') },
    outdir,
  },
  // The pure-JS X11 client for desktop automation on Linux, likewise loaded only when used.
  { ...node, external: [], entryPoints: { 'vendor/x11': require.resolve('x11') }, outdir },
  {
    ...common,
    // The dashboard, the editor's task details view (the dashboard's details pane on its own page), and the phone page (/phone on the gateway).
    entryPoints: { 'webview/dashboard': 'webview-ui/src/main.ts', 'webview/details': 'webview-ui/src/detailsPage.ts', 'webview/phone': 'webview-ui/phone/main.ts' },
    outdir,
    platform: 'browser',
    target: ['chrome114'],
    format: 'iife',
    loader: { '.css': 'css' },
  },
];

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] watching for changes');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
