/**
 * The window's questions and messages to the person — notifications with their actions, input
 * boxes, quick picks — go through here. Each is recorded (text, title, actions, items), so the
 * extension-host tests can assert what a person is shown and in which order, and a test can
 * answer in the person's place (`answer`); otherwise they are the editor's own prompts.
 */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';

export type PromptKind = 'error' | 'warning' | 'info' | 'input' | 'pick';

export interface Shown {
  kind: PromptKind;
  /** The message, or the input box's prompt / the quick pick's placeholder. */
  text: string;
  title?: string;
  /** A notification's action buttons. */
  actions: string[];
  /** A quick pick's item labels. */
  items?: string[];
  /** An input box's validation message for the answer given (tests). */
  invalid?: string;
  at: number;
}

/** What a test answers: an action or item label (labels for a multi-select pick), text for an input box, undefined to dismiss. */
export type Answerer = (shown: Shown) => string | string[] | undefined;

export class Prompts {
  /** Newest last, at most 200. */
  readonly shown: Shown[] = [];
  /** Set by tests to answer in the person's place; undefined: the editor asks the person. */
  answer: Answerer | undefined;

  private record(s: Omit<Shown, 'at' | 'actions'> & { actions?: string[] }): Shown {
    const full: Shown = { actions: [], ...s, at: Date.now() };
    this.shown.push(full);
    if (this.shown.length > 200) this.shown.shift();
    return full;
  }

  /** A notification with actions; resolves to the action chosen. */
  async message(kind: 'error' | 'warning' | 'info', text: string, ...actions: string[]): Promise<string | undefined> {
    const s = this.record({ kind, text, actions });
    if (this.answer) {
      const a = this.answer(s);
      return typeof a === 'string' && actions.includes(a) ? a : undefined;
    }
    const show = kind === 'error' ? vscode.window.showErrorMessage : kind === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(text, ...actions);
  }

  async inputBox(o: vscode.InputBoxOptions): Promise<string | undefined> {
    const s = this.record({ kind: 'input', text: o.prompt ?? o.placeHolder ?? '', ...(o.title ? { title: o.title } : {}) });
    if (!this.answer) return vscode.window.showInputBox(o);
    const a = this.answer(s);
    if (typeof a !== 'string') return undefined;
    const invalid = await o.validateInput?.(a);
    const message = typeof invalid === 'string' ? invalid : invalid?.message;
    if (message) {
      s.invalid = message;
      return undefined; // a person would stay in the box; a test's wrong answer ends the step
    }
    return a;
  }

  async quickPick<T extends vscode.QuickPickItem>(items: readonly T[], o: vscode.QuickPickOptions & { canPickMany: true }): Promise<T[] | undefined>;
  async quickPick<T extends vscode.QuickPickItem>(items: readonly T[], o?: vscode.QuickPickOptions): Promise<T | undefined>;
  async quickPick<T extends vscode.QuickPickItem>(items: readonly T[], o: vscode.QuickPickOptions = {}): Promise<T | T[] | undefined> {
    const s = this.record({ kind: 'pick', text: o.placeHolder ?? '', items: items.map((i) => i.label), ...(o.title ? { title: o.title } : {}) });
    if (!this.answer) return vscode.window.showQuickPick(items, o) as Promise<T | T[] | undefined>;
    const a = this.answer(s);
    if (a === undefined) return undefined;
    const find = (label: string) => {
      const item = items.find((i) => i.label === label);
      if (!item) throw new Error(`no item "${label}" in the quick pick "${o.title ?? o.placeHolder}": ${items.map((i) => i.label).join(', ')}`);
      return item;
    };
    return o.canPickMany ? (Array.isArray(a) ? a : [a]).map(find) : find(Array.isArray(a) ? a[0]! : a);
  }
}

/** The window's prompts (one extension host, one window). */
export const prompts = new Prompts();

/** "Open a folder first", with the action that does it: the board lives in a workspace folder. */
export const NO_FOLDER_MESSAGE = 'Open a folder first: the Dream.OS board lives in your workspace folder (.dreamos).';
export const OPEN_FOLDER = 'Open Folder';
export const OPEN_FILE = 'Open File';

/** Opens a file at a 1-based line and column (both optional), the cursor there. */
export async function openAt(file: string, line?: number, column?: number): Promise<vscode.TextEditor> {
  const disk = await fs.readFile(file, 'utf8').catch(() => undefined);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  if (disk !== undefined && !doc.isDirty && doc.getText() !== disk) {
    // The editor's copy was open before the file changed on disk and has not caught up yet: a
    // line and column of the new text would land elsewhere in the old one. Wait for it (briefly).
    await new Promise<void>((resolve) => {
      const done = () => {
        sub.dispose();
        clearTimeout(timer);
        resolve();
      };
      const sub = vscode.workspace.onDidChangeTextDocument((e) => e.document === doc && doc.getText() === disk && done());
      const timer = setTimeout(done, 3_000);
    });
  }
  const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (column ?? 1) - 1));
  const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
  if (disk !== undefined && !doc.isDirty && doc.getText() !== disk) {
    // Still the old text: load the file again (nothing unsaved is lost: the copy is not dirty), then place the cursor.
    await vscode.commands.executeCommand('workbench.action.files.revert');
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
  return editor;
}
