/**
 * Parsers for the other agent CLIs' machine-readable output, one JSON object a line, into typed run
 * events (src/core/runs/runModel), beside Claude Code's and Codex's in ./streams:
 *
 * - Gemini CLI `--output-format stream-json` (seen from 0.61.0): init (session_id), message (role,
 *   content, delta), tool_use (tool_name, tool_id, parameters), tool_result (status, error), error,
 *   result (status, stats with input_tokens / output_tokens / cached). No cost: an estimate.
 * - opencode `run --format json` (seen from 1.18.33): every line has sessionID; text (part.text),
 *   tool_use (part.tool, part.state with input and status), step_finish (part.tokens, part.cost,
 *   part.reason "stop" at the end), error (error.data.message). There is no result line.
 * - cursor-agent `-p --output-format stream-json`: flags and shape from Cursor's docs, not run here
 *   (cursor-agent is not on npm): Claude Code's shape (system init, assistant, result) plus
 *   tool_call started/completed with the call under a "<name>ToolCall" key.
 */
import type { Price } from '../../core/loop/presets';
import type { RunEvent, Tokens } from '../../core/runs/runModel';
import { estimateCost } from './prices';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
const clip = (s: string, n = 4_000) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const firstLine = (s: string, n = 300) => clip(s.trim().split('\n')[0] ?? '', n);

export interface LineResult {
  events: RunEvent[];
  /** The CLI's own end of the run (a result line). */
  result?: boolean;
  /** The run reached its end without a result line (opencode's last step). */
  completed?: boolean;
  failed?: boolean;
}

/** What a tool acts on: the first of these fields the call has. */
function targetOf(input: Obj | undefined): string | undefined {
  if (!input) return undefined;
  for (const k of ['file_path', 'filePath', 'path', 'absolute_path', 'command', 'pattern', 'url', 'query', 'description']) {
    const v = str(input[k]);
    if (v) return clip(v, 1_000);
  }
  return undefined;
}

/** Tools that change a file (Gemini CLI, opencode, cursor-agent names) and the field naming it. */
const EDITS: Record<string, string[]> = {
  write_file: ['file_path'],
  replace: ['file_path'],
  write: ['filePath', 'file_path'],
  edit: ['filePath', 'file_path'],
  patch: ['filePath', 'file_path'],
  writeToolCall: ['path'],
  editToolCall: ['path'],
};
function editOf(name: string, input: Obj | undefined): RunEvent[] {
  const file = (EDITS[name] ?? []).map((k) => str(input?.[k])).find(Boolean);
  return file ? [{ t: 'edit', file: clip(file, 1_000) }] : [];
}

/** Gemini CLI stream-json. Assistant text comes in deltas: `pending` gathers them into one message. */
export function geminiEvents(line: Obj, o: { price?: Price | undefined; pending: { text: string } }): LineResult {
  const events: RunEvent[] = [];
  const flush = () => {
    if (o.pending.text.trim()) events.push({ t: 'message', text: clip(o.pending.text.trim()) });
    o.pending.text = '';
  };
  switch (line.type) {
    case 'init':
      if (str(line.session_id)) events.push({ t: 'session', id: clip(str(line.session_id)!, 200) });
      return { events };
    case 'message':
      if (line.role === 'assistant' && str(line.content)) {
        o.pending.text += str(line.content)!;
        if (line.delta !== true) flush();
      }
      return { events };
    case 'tool_use': {
      flush();
      const name = clip(str(line.tool_name) ?? '?', 120);
      const input = obj(line.parameters);
      const target = targetOf(input);
      events.push({ t: 'tool', name, ...(target ? { target } : {}), ...(str(line.tool_id) ? { id: clip(str(line.tool_id)!, 200) } : {}) }, ...editOf(name, input));
      return { events };
    }
    case 'tool_result': {
      const ok = line.status === 'success';
      const why = str(obj(line.error)?.message) ?? str(line.output) ?? '';
      events.push({ t: 'tool_done', ok, ...(str(line.tool_id) ? { id: clip(str(line.tool_id)!, 200) } : {}), ...(ok ? {} : { detail: firstLine(why) }) });
      return { events };
    }
    case 'error':
      flush();
      events.push({ t: 'warning', message: clip(`Gemini CLI: ${str(line.message) ?? str(obj(line.error)?.message) ?? 'error'}`, 2_000) });
      return { events };
    case 'result': {
      flush();
      const s = obj(line.stats);
      const tokens: Tokens | undefined = s ? { input: num(s.input_tokens), output: num(s.output_tokens), cached: num(s.cached) } : undefined;
      const ok = line.status === 'success';
      const why = str(obj(line.error)?.message) ?? '';
      if (!ok) events.push({ t: 'error', message: clip(`Gemini CLI ended with ${String(line.status ?? 'an error')}${why ? `: ${firstLine(why, 1_800)}` : ''}`, 2_000) });
      // Gemini's prompt token count includes the cached ones (as OpenAI's does).
      events.push({ t: 'result', ok, text: '', estimated: true, ...(tokens ? { tokens } : {}), ...(tokens && o.price ? { costUsd: estimateCost(tokens, o.price) } : {}) });
      return { events, result: true };
    }
    default:
      return { events };
  }
}

/** opencode run --format json. Each step reports its own tokens and cost (opencode's own figure). */
export function opencodeEvents(line: Obj, o: { session?: { id?: string } } = {}): LineResult {
  const events: RunEvent[] = [];
  const session = str(line.sessionID);
  if (session && o.session && o.session.id !== session) {
    o.session.id = session;
    events.push({ t: 'session', id: clip(session, 200) });
  }
  const part = obj(line.part);
  switch (line.type) {
    case 'text':
      if (str(part?.text)?.trim()) events.push({ t: 'message', text: clip(str(part!.text)!.trim()) });
      return { events };
    case 'tool_use': {
      const state = obj(part?.state);
      const name = clip(str(part?.tool) ?? '?', 120);
      const input = obj(state?.input);
      const target = targetOf(input);
      const id = str(part?.callID) ?? str(part?.id);
      events.push({ t: 'tool', name, ...(target ? { target } : {}), ...(id ? { id: clip(id, 200) } : {}) });
      const status = str(state?.status);
      if (status === 'completed' || status === 'error') {
        const ok = status === 'completed';
        if (ok) events.push(...editOf(name, input));
        events.push({ t: 'tool_done', ok, ...(id ? { id: clip(id, 200) } : {}), ...(ok ? {} : { detail: firstLine(str(state?.error) ?? str(state?.output) ?? '') }) });
      }
      return { events };
    }
    case 'step_finish': {
      const t = obj(part?.tokens);
      if (t) {
        const cache = obj(t.cache);
        const tokens: Tokens = { input: num(t.input) + num(cache?.write), output: num(t.output) + num(t.reasoning), cached: num(cache?.read) };
        events.push({ t: 'usage', tokens, estimated: false, cumulative: false, ...(typeof part?.cost === 'number' && part.cost >= 0 ? { costUsd: part.cost } : {}) });
      }
      return { events, ...(part?.reason === 'stop' ? { completed: true } : {}) };
    }
    case 'error': {
      const e = obj(line.error);
      events.push({ t: 'error', message: clip(`opencode: ${str(obj(e?.data)?.message) ?? str(e?.name) ?? 'error'}`, 2_000) });
      return { events, failed: true };
    }
    default:
      return { events };
  }
}

/** cursor-agent stream-json (from its docs): tool_call lines; the rest is Claude Code's shape. */
export function cursorToolEvents(line: Obj): RunEvent[] | undefined {
  if (line.type !== 'tool_call') return undefined;
  const call = obj(line.tool_call);
  const key = call ? Object.keys(call)[0] : undefined;
  const body = key ? obj(call![key]) : undefined;
  const id = str(line.call_id);
  const name = clip((key ?? 'tool').replace(/ToolCall$/, ''), 120);
  if (line.subtype === 'started') {
    const target = targetOf(obj(body?.args));
    return [{ t: 'tool', name, ...(target ? { target } : {}), ...(id ? { id: clip(id, 200) } : {}) }];
  }
  if (line.subtype === 'completed') {
    const result = obj(body?.result);
    const ok = !!result && !('error' in result) && !('failure' in result);
    return [...(ok ? editOf(key!, obj(body?.args)) : []), { t: 'tool_done', ok, ...(id ? { id: clip(id, 200) } : {}) }];
  }
  return [];
}
