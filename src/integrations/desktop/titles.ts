/**
 * Window-title patterns per agent. An editor's title changes with the open file
 * ("app.ts — my-repo — Cursor"), so a pattern names the stable part: a plain string matches
 * anywhere, case-insensitively; "/.../flags" is a regular expression.
 */
import { z } from 'zod';

export interface TitleMatcher {
  readonly pattern: string;
  test(title: string): boolean;
}

export function titleMatcher(pattern: string): TitleMatcher {
  const re = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    let rx: RegExp;
    try {
      rx = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
    } catch (err) {
      throw new Error(`window title pattern ${pattern} is not a valid regular expression: ${(err as Error).message}`);
    }
    return { pattern, test: (t) => rx.test(t) };
  }
  const needle = pattern.toLowerCase();
  return { pattern, test: (t) => t.toLowerCase().includes(needle) };
}

export const TitlePattern = z
  .string()
  .trim()
  .min(1, 'give a part of the window title, e.g. the workspace folder name')
  .max(200)
  .superRefine((p, ctx) => {
    try {
      titleMatcher(p);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
