/**
 * Parsers for the agent CLIs' machine-readable output: Claude Code's `--output-format stream-json`
 * and Codex's `exec --json`, one JSON object a line. Each turns the stream into typed run events
 * (src/core/runs/runModel). Pure and forgiving: a line that is not JSON, an object of an unknown
 * shape, a stream cut off in the middle of a line or ending without its result give an `error`
 * event saying so, never an exception.
 */
import type { Price } from '../../core/loop/presets';
import type { RunEvent, Tokens } from '../../core/runs/runModel';
import { cursorToolEvents, geminiEvents, opencodeEvents, type LineResult } from './moreStreams';
import { estimateCost, priceFor } from './prices';

export type Protocol = 'claude-stream-json' | 'codex-exec-json' | 'gemini-stream-json' | 'opencode-json' | 'cursor-stream-json';
export const PROTOCOLS: readonly Protocol[] = ['claude-stream-json', 'codex-exec-json', 'gemini-stream-json', 'opencode-json', 'cursor-stream-json'];
/** How a protocol's run ends: with a result line, or (codex, opencode) a last turn whose result is made up here. */
const ENDS_WITH: Record<Protocol, 'result' | 'completed'> = { 'claude-stream-json': 'result', 'codex-exec-json': 'completed', 'gemini-stream-json': 'result', 'opencode-json': 'completed', 'cursor-stream-json': 'result' };

export interface StreamParser {
  /** Feeds stdout as it comes; returns the events of the lines it completed. */
  push(chunk: string): RunEvent[];
  /** The stream ended: the last partial line, and an error if the run never reported its end. */
  end(): RunEvent[];
  readonly sessionId: string | undefined;
  /** Why the stream cannot be trusted to its end (a malformed or cut-off line, no result), if so. */
  readonly problem: string | undefined;
}

const MAX_TEXT = 4_000;
const MAX_BAD_LINES = 20;
const clip = (s: string, n = MAX_TEXT) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const firstLine = (s: string, n = 300) => clip(s.trim().split('\n')[0] ?? '', n);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const NAMES: Record<Protocol, string> = { 'claude-stream-json': 'Claude Code', 'codex-exec-json': 'Codex', 'gemini-stream-json': 'Gemini CLI', 'opencode-json': 'opencode', 'cursor-stream-json': 'cursor-agent' };

/** Claude Code tools that change a file, and the input field naming it. */
const EDIT_TOOLS: Record<string, string> = { Write: 'file_path', Edit: 'file_path', MultiEdit: 'file_path', NotebookEdit: 'notebook_path' };

function claudeTarget(input: Obj | undefined): string | undefined {
  if (!input) return undefined;
  for (const k of ['file_path', 'notebook_path', 'command', 'path', 'pattern', 'url', 'query', 'description']) {
    const v = str(input[k]);
    if (v) return clip(v, 1_000);
  }
  return undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return arr(content)
    .map((c) => str(obj(c)?.text) ?? '')
    .filter(Boolean)
    .join('\n');
}

/**
 * One parsed line of Claude Code's stream-json: its events, and whether it was the result. Each
 * model message's usage (in every assistant line of it, so counted once by its id) is a running
 * estimate for budgets; the result's totals and total_cost_usd then replace it.
 */
export function claudeEvents(line: Obj, o: { price?: Price | undefined; prices?: Readonly<Record<string, Price>> | undefined; seen?: Set<string> } = {}): { events: RunEvent[]; result?: boolean } {
  const events: RunEvent[] = [];
  const session = str(line.session_id);
  switch (line.type) {
    case 'system':
      if (line.subtype === 'init' && session) events.push({ t: 'session', id: clip(session, 200) });
      return { events };
    case 'assistant': {
      const message = obj(line.message);
      const usage = obj(message?.usage);
      const messageId = str(message?.id);
      if (usage && messageId && o.seen && !o.seen.has(messageId)) {
        o.seen.add(messageId);
        const tokens: Tokens = { input: num(usage.input_tokens) + num(usage.cache_creation_input_tokens), output: num(usage.output_tokens), cached: num(usage.cache_read_input_tokens) };
        const price = o.price ?? priceFor(str(message?.model), o.prices);
        events.push({ t: 'usage', tokens, estimated: true, cumulative: false, ...(price ? { costUsd: estimateCost(tokens, price, { cachedSeparate: true }) } : {}) });
      }
      for (const c of arr(message?.content)) {
        const b = obj(c);
        if (!b) continue;
        if (b.type === 'text' && str(b.text)?.trim()) events.push({ t: 'message', text: clip(str(b.text)!) });
        else if (b.type === 'tool_use') {
          const name = clip(str(b.name) ?? '?', 120);
          const input = obj(b.input);
          const target = claudeTarget(input);
          events.push({ t: 'tool', name, ...(target ? { target } : {}), ...(str(b.id) ? { id: clip(str(b.id)!, 200) } : {}) });
          const file = EDIT_TOOLS[name] ? str(input?.[EDIT_TOOLS[name]!]) : undefined;
          if (file) events.push({ t: 'edit', file: clip(file, 1_000) });
        }
      }
      if (str(line.error)) events.push({ t: 'error', message: clip(`${str(line.error)}: ${textOf(obj(line.message)?.content)}`, 2_000) });
      return { events };
    }
    case 'user': {
      for (const c of arr(obj(line.message)?.content)) {
        const b = obj(c);
        if (b?.type !== 'tool_result') continue;
        const ok = b.is_error !== true;
        events.push({ t: 'tool_done', ok, ...(str(b.tool_use_id) ? { id: clip(str(b.tool_use_id)!, 200) } : {}), ...(ok ? {} : { detail: firstLine(textOf(b.content)) }) });
      }
      return { events };
    }
    case 'result': {
      const usage = obj(line.usage);
      const tokens: Tokens | undefined = usage ? { input: num(usage.input_tokens) + num(usage.cache_creation_input_tokens), output: num(usage.output_tokens), cached: num(usage.cache_read_input_tokens) } : undefined;
      const ok = line.subtype === 'success' && line.is_error !== true;
      const text = str(line.result) ?? arr(line.errors).map(String).join('; ') ?? '';
      const cost = typeof line.total_cost_usd === 'number' && line.total_cost_usd >= 0 ? line.total_cost_usd : undefined;
      if (session) events.push({ t: 'session', id: clip(session, 200) });
      if (!ok) events.push({ t: 'error', message: clip(`Claude Code ended with ${String(line.subtype ?? 'an error')}${text ? `: ${firstLine(text, 1_800)}` : ''}`, 2_000) });
      events.push({ t: 'result', ok, text: clip(text), estimated: false, ...(typeof line.num_turns === 'number' ? { turns: num(line.num_turns) } : {}), ...(tokens ? { tokens } : {}), ...(cost !== undefined ? { costUsd: cost } : {}) });
      return { events, result: true };
    }
    default:
      return { events };
  }
}

/** One parsed line of `codex exec --json`. */
export function codexEvents(line: Obj, o: { price?: Price | undefined; started?: Set<string> } = {}): { events: RunEvent[]; completed?: boolean; failed?: boolean } {
  const events: RunEvent[] = [];
  const item = obj(line.item);
  const id = str(item?.id);
  switch (line.type) {
    case 'thread.started':
      if (str(line.thread_id)) events.push({ t: 'session', id: clip(str(line.thread_id)!, 200) });
      return { events };
    case 'item.started':
    case 'item.updated':
    case 'item.completed': {
      if (!item) return { events };
      const done = line.type === 'item.completed';
      const tool = (name: string, target?: string) => {
        if (id && o.started?.has(id)) return;
        if (id) o.started?.add(id);
        events.push({ t: 'tool', name, ...(target ? { target: clip(target, 1_000) } : {}), ...(id ? { id } : {}) });
      };
      switch (item.type) {
        case 'agent_message':
          if (done && str(item.text)?.trim()) events.push({ t: 'message', text: clip(str(item.text)!) });
          break;
        case 'command_execution':
          tool('shell', str(item.command));
          if (done) {
            const code = item.exit_code;
            const ok = code === 0;
            events.push({ t: 'tool_done', ok, ...(id ? { id } : {}), ...(ok ? {} : { detail: clip(`exit ${String(code)}${str(item.aggregated_output)?.trim() ? `: ${firstLine(str(item.aggregated_output)!.trim().split('\n').slice(-1)[0] ?? '')}` : ''}`, 1_000) }) });
          }
          break;
        case 'file_change':
          if (done) for (const ch of arr(item.changes)) if (str(obj(ch)?.path)) events.push({ t: 'edit', file: clip(str(obj(ch)!.path)!, 1_000) });
          break;
        case 'mcp_tool_call':
          tool(`${str(item.server) ?? 'mcp'}.${str(item.tool) ?? '?'}`);
          if (done) events.push({ t: 'tool_done', ok: item.status !== 'failed', ...(id ? { id } : {}) });
          break;
        case 'web_search':
          tool('web_search', str(item.query));
          break;
        case 'error':
          // Codex reports non-fatal problems (e.g. unknown model metadata) as error items and goes on.
          if (done && str(item.message)) events.push({ t: 'warning', message: clip(str(item.message)!, 2_000) });
          break;
      }
      return { events };
    }
    case 'turn.completed': {
      const u = obj(line.usage);
      if (!u) return { events, completed: true };
      const tokens: Tokens = { input: num(u.input_tokens), output: num(u.output_tokens), cached: num(u.cached_input_tokens) };
      // Tried with 0.171.0: in a resumed thread (exec resume) this is the thread's total, earlier runs included.
      events.push({ t: 'usage', tokens, estimated: true, cumulative: true, ...(o.price ? { costUsd: estimateCost(tokens, o.price) } : {}) });
      return { events, completed: true };
    }
    case 'turn.failed':
      events.push({ t: 'error', message: clip(`Codex turn failed: ${str(obj(line.error)?.message) ?? 'no reason given'}`, 2_000) });
      return { events, failed: true };
    case 'error':
      // Also "Reconnecting... 1/5" while it retries a broken stream; a later turn.completed outweighs it.
      events.push({ t: 'error', message: clip(`Codex: ${str(line.message) ?? 'error'}`, 2_000) });
      return { events, failed: true };
    default:
      return { events };
  }
}

/** A line-by-line parser for one run's stdout. */
export function streamParser(protocol: Protocol, o: { model?: string | undefined; price?: Price | undefined; prices?: Readonly<Record<string, Price>> | undefined } = {}): StreamParser {
  const who = NAMES[protocol];
  let partial = '';
  let lineNo = 0;
  let bad = 0;
  let sessionId: string | undefined;
  let ended = false;
  let completed = false;
  let failed = false;
  let lastMessage = '';
  let problem: string | undefined;
  let lastError: string | undefined;
  const started = new Set<string>();
  const price = o.price ?? priceFor(o.model, o.prices);
  const pending = { text: '' };
  const session: { id?: string } = {};
  const eventsOf = (ob: Record<string, unknown>): LineResult => {
    switch (protocol) {
      case 'claude-stream-json':
        return claudeEvents(ob, { price: o.price, prices: o.prices, seen: started });
      case 'codex-exec-json':
        return codexEvents(ob, { price, started });
      case 'gemini-stream-json':
        return geminiEvents(ob, { price, pending });
      case 'opencode-json':
        return opencodeEvents(ob, { session });
      case 'cursor-stream-json': {
        const tools = cursorToolEvents(ob);
        return tools ? { events: tools } : claudeEvents(ob, { price: o.price, prices: o.prices, seen: started });
      }
    }
  };

  const malformed = (why: string, line: string): RunEvent[] => {
    bad++;
    if (bad > MAX_BAD_LINES) return [];
    if (bad === MAX_BAD_LINES) return said([{ t: 'error', message: `${who}'s output has more unreadable lines; not reporting each one.` }]);
    return said([{ t: 'error', message: clip(`${who}'s output line ${lineNo} ${why}: ${clip(line, 200)}`, 2_000) }]);
  };

  const parseLine = (raw: string): RunEvent[] => {
    lineNo++;
    const line = raw.trim();
    if (!line) return [];
    if (!line.startsWith('{')) return [{ t: 'warning', message: clip(`${who} printed: ${line}`, 2_000) }];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return malformed(`is not valid JSON (${(err as Error).message})`, line);
    }
    const ob = obj(value);
    if (!ob || typeof ob.type !== 'string') return malformed('is not an event (no "type")', line);
    const r = eventsOf(ob);
    const events = r.events;
    if (r.result) ended = true;
    if (r.completed) {
      completed = true;
      failed = false;
    }
    if (r.failed) failed = true;
    const out: RunEvent[] = [];
    for (const e of events) {
      if (e.t === 'session') {
        if (e.id === sessionId) continue;
        sessionId = e.id;
      }
      if (e.t === 'message') lastMessage = e.text;
      if (e.t === 'error') lastError = e.message;
      out.push(e);
    }
    if ((protocol === 'codex-exec-json' || protocol === 'gemini-stream-json') && price === undefined && out.some((e) => e.t === 'usage' || e.t === 'result') && !noPriceSaid) {
      noPriceSaid = true;
      out.push({ t: 'warning', message: `no price is known for model ${o.model ?? '(default)'}; tokens are counted but no cost. Give the agent a "price" in agents.json.` });
    }
    return out;
  };
  let noPriceSaid = false;

  const said = (events: RunEvent[]): RunEvent[] => {
    for (const e of events) if (e.t === 'error' && problem === undefined) problem = e.message;
    return events;
  };

  return {
    get problem() {
      return problem;
    },
    get sessionId() {
      return sessionId;
    },
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      // A runaway line without newlines is cut, so memory stays bounded.
      if (partial.length > 4 * 1024 * 1024) {
        const events = malformed('is longer than 4 MB and was cut', partial);
        partial = '';
        return [...lines.flatMap(parseLine), ...events];
      }
      return lines.flatMap(parseLine);
    },
    end() {
      const out: RunEvent[] = [];
      if (partial.trim()) {
        const rest = partial;
        partial = '';
        let complete = false;
        try {
          JSON.parse(rest);
          complete = true;
        } catch {
          // cut off mid-line
        }
        if (complete) out.push(...parseLine(rest));
        else {
          lineNo++;
          out.push(...malformed('was cut off (the stream ended in the middle of it)', rest));
        }
      }
      if (ENDS_WITH[protocol] === 'result' && !ended) {
        out.push(...said([{ t: 'error', message: `${who}'s output ended without a result: the stream was cut off or the CLI stopped before finishing.` }]));
      }
      if (ENDS_WITH[protocol] === 'completed') {
        const last = protocol === 'codex-exec-json' ? 'turn.completed' : 'its last step (step_finish "stop")';
        if (!completed && !failed) out.push(...said([{ t: 'error', message: `${who}'s output ended without ${last}: the stream was cut off or the CLI stopped before finishing.` }]));
        out.push({ t: 'result', ok: completed && !failed, text: clip(completed && !failed ? lastMessage : (lastError ?? lastMessage)), estimated: protocol === 'codex-exec-json' });
      }
      return out;
    },
  };
}
