import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../errors';
import { MAX_FILE_BYTES } from './proposalModel';

/**
 * What an agent may touch. A proposal path is relative to the workspace root, uses `/`, and
 * stays inside: no absolute paths, no `..`, no `.git` internals, no board internals. Dream.OS's
 * own configuration (.dreamos/agents.json, prompts, rules) is allowed and validated separately.
 */
const SELF_CONFIG = [/^\.dreamos\/agents\.json$/, /^\.dreamos\/rules\.md$/, /^\.dreamos\/prompts\/[\w.-]+\.md$/];

export function checkProposalPath(p: string): string | undefined {
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.includes('\\')) return 'uses backslashes; use / between folders';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute; give a path relative to the workspace';
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) return 'climbs out with ..';
  if (parts.some((s) => s === '' || s === '.')) return 'has empty or . segments';
  if (parts[0]?.toLowerCase() === '.git' || parts.some((s) => s.toLowerCase() === '.git')) return 'is inside .git';
  if (parts[0] === '.dreamos' && !SELF_CONFIG.some((r) => r.test(p))) return 'is Dream.OS board data; only agents.json, rules.md and prompts/*.md may be proposed';
  return undefined;
}

export function isSelfConfig(p: string): boolean {
  return SELF_CONFIG.some((r) => r.test(p));
}

/** Binary content is refused: NUL bytes or text that is not valid UTF-8. */
export function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** NUL and the C0 controls text files do not hold (tab, LF, VT, FF, CR and ESC are fine), U+FFFD, lone surrogates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_TEXT = /[\0-\x08\x0E-\x1A\x1C-\x1F\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Proposed content must be text that survives being written as UTF-8: no U+FFFD (the sign of a
 * file that was not UTF-8 when it was read — writing it would lose the original bytes), no NUL or
 * other binary control characters, no half surrogate pairs. The hub checks every submission here.
 */
export function checkText(p: string, content: string): void {
  const m = NOT_TEXT.exec(content);
  if (!m) return;
  const before = content.slice(0, m.index);
  const line = before.split('\n').length;
  const where = `first at line ${line}, column ${m.index - before.lastIndexOf('\n')}`;
  const c = m[0];
  const message =
    c === '\uFFFD'
      ? `${p}: the content has U+FFFD replacement characters (${where}): the file was not valid UTF-8 text when it was read, and writing it would replace the original bytes for good. Save the file as UTF-8 and propose it again (if the character really belongs there, write it as an escape such as \\uFFFD).`
      : c === '\0'
        ? `${p}: the content has NUL bytes (${where}), so it is binary, not text. Proposals carry UTF-8 text files only: make binary changes by hand, outside Dream.OS.`
        : c.length === 1 && c.charCodeAt(0) < 0x20
          ? `${p}: the content has the control character ${hex(c)} (${where}), which text files do not contain: it looks like binary data. Proposals carry UTF-8 text only: remove the character, or make binary changes by hand.`
          : `${p}: the content has a lone surrogate ${hex(c)} (${where}), half of a UTF-16 pair, which cannot be written as UTF-8 text. Send the whole character and propose it again.`;
  throw new DreamError('invalid_input', message, { path: p, line });
}

export function checkContent(p: string, content: string, allowLarge = false): void {
  checkText(p, content);
  const size = Buffer.byteLength(content, 'utf8');
  if (!allowLarge && size > MAX_FILE_BYTES) throw new DreamError('invalid_input', `${p}: ${size} bytes is over the ${MAX_FILE_BYTES}-byte limit for a proposed file.`, { path: p, size });
}

/**
 * Resolves a proposal path inside the workspace, refusing symlink escapes: the deepest existing
 * ancestor must really be inside the workspace, and the file itself must not be a symlink.
 */
export function resolveInside(root: string, p: string): string {
  const problem = checkProposalPath(p);
  if (problem) throw new DreamError('invalid_input', `Refused path "${p}": it ${problem}.`, { path: p });
  const realRoot = realpathSync(root);
  const target = path.join(realRoot, ...p.split('/'));
  let probe = target;
  for (;;) {
    try {
      const st = lstatSync(probe);
      if (probe === target && st.isSymbolicLink()) throw new DreamError('invalid_input', `Refused path "${p}": it is a symbolic link.`, { path: p });
      const real = realpathSync(probe);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        throw new DreamError('invalid_input', `Refused path "${p}": it leads outside the workspace through a symbolic link.`, { path: p });
      }
      return target;
    } catch (err) {
      if (err instanceof DreamError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const up = path.dirname(probe);
      if (up === probe) return target;
      probe = up;
    }
  }
}
