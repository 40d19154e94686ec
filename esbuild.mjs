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
      /zod[\\/]v4[\\/](classic|core)/.test(args.importer) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' } : undefined,
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

const configs = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir, plugins: [...common.plugins, copyWasm] },
  // The extension's entry (package.json "main"): starts dist/extension.js from a V8 code cache (src/extension/launch.ts).
  { ...node, entryPoints: { launch: 'src/extension/launch.ts' }, outdir },
  // `dreamos`: dist/cli.js only starts dist/cli-main.js from a V8 code cache (src/cli/launch.ts).
  { ...node, entryPoints: { 'cli-main': 'src/cli/main.ts' }, outdir },
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
