/**
 * Key chords ("ctrl+v", "cmd+enter") as a person writes them in settings, parsed once and checked,
 * and the rule for when text may be typed key by key instead of pasted.
 */
import { z } from 'zod';

export const MODIFIERS = ['ctrl', 'shift', 'alt', 'cmd'] as const;
export type Modifier = (typeof MODIFIERS)[number];
export const CHORD_KEYS = ['enter', 'tab', 'escape', 'space', 'a', 'v'] as const;
export type ChordKey = (typeof CHORD_KEYS)[number];

export interface Chord {
  readonly modifiers: readonly Modifier[];
  readonly key: ChordKey;
}

const ALIASES: Record<string, Modifier> = { control: 'ctrl', ctrl: 'ctrl', shift: 'shift', alt: 'alt', option: 'alt', cmd: 'cmd', command: 'cmd', meta: 'cmd', super: 'cmd', win: 'cmd' };
const KEY_ALIASES: Record<string, ChordKey> = { enter: 'enter', return: 'enter', tab: 'tab', escape: 'escape', esc: 'escape', space: 'space', a: 'a', v: 'v' };

/** Parses "Ctrl+Enter", "cmd+v"; throws a message that names what is allowed. */
export function parseChord(text: string): Chord {
  const parts = text.toLowerCase().split('+').map((p) => p.trim());
  const keyName = parts.pop() ?? '';
  const key = KEY_ALIASES[keyName];
  if (!key) throw new Error(`"${text}": the last key must be one of ${Object.keys(KEY_ALIASES).join(', ')}`);
  const modifiers: Modifier[] = [];
  for (const p of parts) {
    const m = ALIASES[p];
    if (!m) throw new Error(`"${text}": "${p}" is not a modifier; use ctrl, shift, alt or cmd`);
    if (!modifiers.includes(m)) modifiers.push(m);
  }
  modifiers.sort((a, b) => MODIFIERS.indexOf(a) - MODIFIERS.indexOf(b));
  return { modifiers, key };
}

export function formatChord(c: Chord): string {
  return [...c.modifiers, c.key].join('+');
}

/** A chord as stored in settings and the calibration file: normalised text, validated. */
export const ChordText = z.string().transform((s, ctx) => {
  try {
    return formatChord(parseChord(s));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** The chords a chat input needs: paste, select-all (to replace a stale draft) and send. */
export function platformChords(platform: NodeJS.Platform = process.platform): { paste: string; selectAll: string } {
  return platform === 'darwin' ? { paste: 'cmd+v', selectAll: 'cmd+a' } : { paste: 'ctrl+v', selectAll: 'ctrl+a' };
}

/** Key-by-key typing is only trusted for this: short, printable ASCII that needs no Shift. */
const UNSHIFTED = /^[a-z0-9 \-=[\]\\;',./`]*$/;
export const MAX_TYPED_CHARS = 64;

export function canTypeKeyByKey(text: string): boolean {
  return text.length > 0 && text.length <= MAX_TYPED_CHARS && UNSHIFTED.test(text);
}
