/**
 * dist/launch.js, the extension's entry (package.json "main"): loads the extension bundle
 * (dist/extension.js, src/extension/main.ts) from a V8 code cache (src/launch/codeCache.ts), or
 * requires it when the cache cannot be used. The cache is written a few seconds after activation.
 */
import path from 'node:path';
import type * as vscode from 'vscode';
import { compileWithCache } from '../launch/codeCache';

type Extension = typeof import('./main');

const bundle = path.join(__dirname, 'extension.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle beside this file
const extension = (compileWithCache(bundle, { name: 'extension', asMain: false, writeCache: 5_000 })?.run() ?? require(bundle)) as Extension;

export function activate(context: vscode.ExtensionContext): ReturnType<Extension['activate']> {
  return extension.activate(context);
}

export function deactivate(): ReturnType<Extension['deactivate']> {
  return extension.deactivate();
}
