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
    return { ok: false, problem: `${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/( in JSON)? at position \d+/, '')} — line ${at.line}, column ${at.column}`, ...at };
  }
}

/**
 * Where the value at `path` starts in JSON `text` (already known to parse), as line and column; the
 * nearest enclosing value that exists when the path goes further than the text (a missing field is
 * shown at its object). So an error about `agents[1].stdin` can open the file at that place.
 */
export function locateJsonPath(text: string, path: readonly PropertyKey[]): { line: number; column: number } | undefined {
  let i = 0;
  let best = -1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  // Walks one value; `depth` is how much of the path it matched (-1: off the path).
  const value = (depth: number): void => {
    ws();
    if (depth >= 0) best = i;
    const want = depth >= 0 && depth < path.length ? path[depth] : undefined;
    const c = text[i];
    if (c === '{') {
      i++;
      for (;;) {
        ws();
        if (text[i] === '}') return void i++;
        const start = i;
        skipString();
        const key = JSON.parse(text.slice(start, i)) as string;
        ws();
        i++; // :
        value(want !== undefined && key === String(want) ? depth + 1 : -1);
        ws();
        if (text[i] === ',') i++;
      }
    } else if (c === '[') {
      i++;
      for (let n = 0; ; n++) {
        ws();
        if (text[i] === ']') return void i++;
        value(want !== undefined && n === want ? depth + 1 : -1);
        ws();
        if (text[i] === ',') i++;
      }
    } else if (c === '"') skipString();
    else while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    if (depth === path.length) throw new Found();
  };
  class Found {}
  try {
    value(0);
  } catch (e) {
    if (!(e instanceof Found)) throw e;
  }
  return best >= 0 ? lineAndColumn(text, best) : undefined;
}
