/**
 * JSON text from outside (task files, agents.json, checks.json, hub frames, Discord payloads) is
 * parsed here: a syntax error says where (line and column), and nesting is bounded before
 * anything recursive (validation, re-serialising a frame) can overflow the stack — a file nested
 * thousands of levels deep is bad input, not a crash.
 */
export const MAX_JSON_DEPTH = 64;

export type JsonParse = { ok: true; value: unknown } | { ok: false; problem: string; line?: number; column?: number };

/** How deep arrays and objects nest, scanning without recursion (strings and escapes skipped). */
export function jsonDepth(text: string, stopAbove = Infinity): { depth: number; at: number } {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return { depth: max, at: i };
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return { depth: max, at: -1 };
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  const d = jsonDepth(text, maxDepth);
  if (d.depth > maxDepth) {
    const at = lineAndColumn(text, d.at);
    return { ok: false, problem: `it nests more than ${maxDepth} levels deep (at line ${at.line}, column ${at.column}); flatten it`, ...at };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    if (!pos) return { ok: false, problem: message };
    const at = lineAndColumn(text, Number(pos[1]));
    return { ok: false, problem: `${message.replace(/\s*\(line \d+ column \d+\)/, '')} — line ${at.line}, column ${at.column}`, ...at };
  }
}
