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
 * bundle beside it, dist/vendor/cli-serve.js, required on first use; likewise zod (~200 KB, used
 * by the board's commands but not by a client-only call such as `dreamos info`), from
 * dist/vendor/cli-zod.js, which the CLI bundle and cli-serve.js both require: one zod, so schemas and
 * their registry stay one copy. Only third-party code moves (none of Dream.OS's own modules, so
 * there is one DreamError and one of every module).
 */
const CLI_VENDOR = ['hono', 'hono/body-limit', 'hono/streaming', '@hono/node-server', 'rate-limiter-flexible', 'ws', '@modelcontextprotocol/sdk/server/mcp.js', '@modelcontextprotocol/sdk/server/stdio.js', '@modelcontextprotocol/sdk/server/streamableHttp.js'];
const CLI_ZOD = ['zod', 'zod/v4', 'zod/v4-mini'];
const exact = (specs) => new RegExp(`^(${specs.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);

/** A stub module that takes `spec` from the vendor bundle `file` (relative to the requiring bundle) on first use. */
const vendorStub = (file, spec) => `const file = require('node:path').join(__dirname, ${JSON.stringify(file)});
let v;
try { v = require(file); } catch (err) { throw new Error(\`\${file} cannot be loaded (\${err.message}): rebuild (npm run build) or reinstall Dream.OS.\`); }
module.exports = v.load(${JSON.stringify(spec)});`;

/** A vendor bundle's entry: its libraries by name, each evaluated on first load(). */
const vendorEntry = (name, specs) => `const table = { ${specs.map((s) => `${JSON.stringify(s)}: () => require(${JSON.stringify(s)})`).join(',\n')} };
exports.load = (spec) => { const f = table[spec]; if (!f) throw new Error(\`\${spec} is not in dist/vendor/${name}.js: rebuild (npm run build)\`); return f(); };`;

/** Stubs for the vendored libraries (`serve`: hono & co., in the CLI bundle only) and for zod, from a bundle in `dir`. */
const cliVendorStubs = (dir, { serve }) => ({
  name: 'cli-vendor-stubs',
  setup(build) {
    if (serve) build.onResolve({ filter: exact(CLI_VENDOR) }, (args) => ({ path: args.path, namespace: 'cli-vendor-serve' }));
    build.onResolve({ filter: exact(CLI_ZOD) }, (args) => ({ path: args.path, namespace: 'cli-vendor-zod' }));
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor-serve' }, (args) => ({ loader: 'js', contents: vendorStub(path.join(dir, 'cli-serve.js'), args.path) }));
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor-zod' }, (args) => ({ loader: 'js', contents: vendorStub(path.join(dir, 'cli-zod.js'), args.path) }));
  },
});

/** The entries of dist/vendor/cli-serve.js and dist/vendor/cli-zod.js. */
const cliVendorEntries = {
  name: 'cli-vendor-entries',
  setup(build) {
    build.onResolve({ filter: /^cli-vendor:(serve|zod)$/ }, (args) => ({ path: args.path.slice('cli-vendor:'.length), namespace: 'cli-vendor-entry' }));
    build.onLoad({ filter: /.*/, namespace: 'cli-vendor-entry' }, (args) => ({
      resolveDir: path.resolve('.'),
      loader: 'js',
      contents: args.path === 'serve' ? vendorEntry('cli-serve', CLI_VENDOR) : vendorEntry('cli-zod', CLI_ZOD),
    }));
    // The entry's require('zod') must be zod's ESM build (as imported everywhere else), not its CommonJS copy.
    build.onResolve({ filter: exact(CLI_ZOD) }, (args) => (args.namespace === 'cli-vendor-entry' ? build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir }) : undefined));
  },
};

const configs = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir, plugins: [...common.plugins, copyWasm] },
  // The extension's entry (package.json "main"): starts dist/extension.js from a V8 code cache (src/extension/launch.ts).
  { ...node, entryPoints: { launch: 'src/extension/launch.ts' }, outdir },
  // `dreamos`: dist/cli.js only starts dist/cli-main.js from a V8 code cache (src/cli/launch.ts).
  { ...node, entryPoints: { 'cli-main': 'src/cli/main.ts' }, outdir, plugins: [...common.plugins, cliVendorStubs('vendor', { serve: true })] },
  // Its vendor bundles: zod first among the plugins of cli-serve.js, whose zod is cli-zod.js's.
  { ...node, entryPoints: { 'vendor/cli-serve': 'cli-vendor:serve' }, outdir, plugins: [cliVendorStubs('.', { serve: false }), ...common.plugins, cliVendorEntries] },
  { ...node, entryPoints: { 'vendor/cli-zod': 'cli-vendor:zod' }, outdir, plugins: [...common.plugins, cliVendorEntries] },
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
