/** `dreamos init|info|config|import|export`: the board itself and its own settings. */
import { promises as fs } from 'node:fs';
import type { ConfigView } from '../../core/board/boardConfig';
import { DreamError } from '../../core/errors';
import { lazy, need, withClient, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const json = lazy(() => require('../../core/json') as typeof import('../../core/json'));
/* eslint-enable @typescript-eslint/no-require-imports */
const parseJson: typeof import('../../core/json')['parseJson'] = (...a) => json().parseJson(...a);

export const commands: Record<string, Sub> = {
  init: { usage: 'init', build: () => ({ type: 'board.info' }), print: () => 'Board ready.' },
  info: { usage: 'info', build: () => ({ type: 'board.info' }), print: (r) => JSON.stringify(r, null, 2) },
  'config get': {
    usage: 'config get [key]   the board\'s own settings (they apply wherever the hub runs: every window, the CLI, agents)',
    run: (p, _v, env, io) =>
      withClient(env, async (client) => {
        const view = await client.call({ type: 'board.config.get' });
        const key = p[0];
        if (key !== undefined) {
          const s = view.settings.find((x) => x.key === key);
          if (!s) throw new DreamError('invalid_input', `There is no board setting "${key}". Board settings: ${view.settings.map((x) => x.key).join(', ')}.`);
          io.out(env.json ? JSON.stringify(s) : String(s.value));
        } else {
          io.out(env.json ? JSON.stringify(view) : view.settings.map((s) => `${s.key} = ${String(s.value)}${s.set ? '' : ' (default)'}   ${s.allowed}. ${s.what}`).join('\n'));
        }
        return 0;
      }),
  },
  'config set': {
    usage: 'config set <key> <value>   store a setting on the board ("default" resets it); see `dreamos config get` for keys and allowed values',
    build: (p) => {
      const key = need(p, 0, 'the setting (see `dreamos config get`)');
      const value = need(p, 1, `the value for ${key}`);
      return { type: 'board.config.set', values: { [key]: value === 'default' ? null : value } };
    },
    print: (r) => {
      const v = r as ConfigView & { changed: string[] };
      return v.changed.length ? `Stored on the board: ${v.changed.map((k) => `${k} = ${String(v.config[k as keyof typeof v.config])}`).join(', ')}` : 'Unchanged.';
    },
  },
  import: {
    usage: 'import <file.json>',
    run: async (p, _v, env, io) => {
      const file = need(p, 0, 'the file to import');
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (err) {
        throw new DreamError('invalid_input', `${file} could not be read (${(err as Error).message}). Nothing was imported.`);
      }
      const parsed = parseJson(text);
      if (!parsed.ok) throw new DreamError('invalid_input', `${file} could not be read as JSON (${parsed.problem}). Nothing was imported.`, { file, line: parsed.line, column: parsed.column });
      const data = parsed.value;
      return withClient(env, async (client) => {
        const r = await client.call({ type: 'board.import', file: data });
        io.out(env.json ? JSON.stringify(r) : `Imported ${r.created.length} tasks.`);
        return 0;
      });
    },
  },
  export: {
    usage: 'export [file.json]   (stdout when no file)',
    run: (p, _v, env, io) =>
      withClient(env, async (client) => {
        const data = JSON.stringify(await client.call({ type: 'board.export' }), null, 2);
        if (p[0]) await fs.writeFile(p[0], data);
        else io.out(data);
        return 0;
      }),
  },
};
