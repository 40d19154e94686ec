/**
 * The editor settings dreamos.leaseSeconds / stallSeconds / durability are stored on the board
 * (board.config), so that they apply wherever the hub runs: another window, `dreamos hub`, the
 * agents. This writes a changed setting into the board; and when a board opens, a value the person
 * set explicitly in the editor that the board does not have yet (settings from before the board
 * kept its own) is written too. A value set on the board from elsewhere (`dreamos config set`) is
 * never overwritten by an editor default.
 */
import * as vscode from 'vscode';
import { DreamError } from '../core/errors';
import type { BoardSession } from './boardSession';

export const SYNCED_SETTINGS = ['leaseSeconds', 'stallSeconds', 'durability'] as const;
type Synced = (typeof SYNCED_SETTINGS)[number];

function explicitValue(key: Synced): unknown {
  const i = vscode.workspace.getConfiguration('dreamos').inspect(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

export function syncBoardSettings(session: BoardSession, log: vscode.LogOutputChannel): vscode.Disposable {
  const write = async (values: Partial<Record<Synced, unknown>>, why: string) => {
    if (Object.keys(values).length === 0) return;
    try {
      const r = await session.call({ type: 'board.config.set', values });
      if (r.changed.length) log.info(`Board settings stored on the board (${why}): ${r.changed.map((k) => `${k} = ${String(r.config[k as Synced])}`).join(', ')}`);
    } catch (err) {
      const e = DreamError.from(err);
      log.warn(`Could not store ${Object.keys(values).join(', ')} on the board: ${e.message}`);
      void vscode.window.showWarningMessage(`Dream.OS did not store your setting on the board: ${e.message} Change it in Settings (dreamos.*) or with \`dreamos config set\`.`);
    }
  };
  const onChange = vscode.workspace.onDidChangeConfiguration((e) => {
    const cfg = vscode.workspace.getConfiguration('dreamos');
    const values: Partial<Record<Synced, unknown>> = {};
    // A setting removed from the editor goes back to the board's default.
    for (const k of SYNCED_SETTINGS) if (e.affectsConfiguration(`dreamos.${k}`)) values[k] = explicitValue(k) === undefined ? null : cfg.get(k);
    void write(values, 'changed in the editor');
  });
  let adopted = false;
  const onOpen = session.onDidChange(() => {
    if (adopted) return;
    adopted = true;
    void (async () => {
      try {
        const view = await session.call({ type: 'board.config.get' });
        const values: Partial<Record<Synced, unknown>> = {};
        for (const k of SYNCED_SETTINGS) {
          const mine = explicitValue(k);
          const onBoard = view.settings.find((s) => s.key === k);
          if (mine !== undefined && onBoard && !onBoard.set && mine !== onBoard.value) values[k] = mine;
        }
        await write(values, 'set in the editor before the board kept its own settings');
      } catch (err) {
        log.warn(`Could not read the board's settings: ${DreamError.from(err).message}`);
      }
    })();
  });
  return vscode.Disposable.from(onChange, onOpen);
}
