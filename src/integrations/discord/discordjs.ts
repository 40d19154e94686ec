/**
 * discord.js is heavy (undici, ws, builders): it is loaded on first use, only when Discord is
 * enabled, and never at the top of a module (esbuild marks it external; test/unit/layering.test.ts
 * checks the hosts). A missing install becomes a message that says what to do, not a crash.
 */
import type * as DiscordJs from 'discord.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../../core/errors';

/**
 * The packaged extension ships discord.js as its own lazily loaded bundle (dist/vendor/discord.js,
 * built by esbuild.mjs) because a .vsix carries no node_modules; from a checkout the installed
 * package is used.
 */
function defaultImporter(): Promise<unknown> {
  const vendored = path.join(__dirname, 'vendor', 'discord.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path, resolved beside the bundle
  if (existsSync(vendored)) return Promise.resolve(require(vendored) as unknown);
  return import('discord.js');
}

export type DiscordJsModule = typeof DiscordJs;
export type DiscordJsImporter = () => Promise<unknown>;

let cached: Promise<DiscordJsModule> | undefined;

/** `importer` exists for tests (a module that is not installed); hosts call it without arguments. */
export function loadDiscordJs(importer?: DiscordJsImporter): Promise<DiscordJsModule> {
  if (importer) return load(importer);
  cached ??= load(defaultImporter).catch((err: unknown) => {
    cached = undefined; // installed later (npm install) → the next attempt loads it
    throw err;
  });
  return cached;
}

async function load(importer: DiscordJsImporter): Promise<DiscordJsModule> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new DreamError('unavailable', 'Discord support needs the discord.js package, which is not installed where Dream.OS runs. Install it (npm install discord.js) or reinstall Dream.OS, then connect again.', {
        missingModule: 'discord.js',
      });
    }
    throw new DreamError('unavailable', `discord.js could not be loaded: ${(err as Error).message}. Reinstall it (npm install discord.js), then connect again.`, { missingModule: 'discord.js' });
  }
  // A CommonJS package seen through import(): the named exports may sit on `default`.
  const m = mod as Partial<DiscordJsModule> & { default?: Partial<DiscordJsModule> };
  const api = typeof m.REST === 'function' ? m : m.default;
  if (!api || typeof api.REST !== 'function' || typeof api.Client !== 'function') {
    throw new DreamError('unavailable', 'The installed discord.js is not a version Dream.OS supports (it needs discord.js 14). Install it with npm install discord.js@14.', { missingModule: 'discord.js@14' });
  }
  return api as DiscordJsModule;
}
