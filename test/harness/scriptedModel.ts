/**
 * A scripted model server on 127.0.0.1 that speaks the providers' real streaming wire protocols,
 * so the real agent CLIs (Claude Code, Codex) run against it: Anthropic Messages SSE
 * (POST /v1/messages), OpenAI Responses SSE (POST /v1/responses) and Gemini SSE (POST /v1beta/models/m:streamGenerateContent). Each main-loop request takes
 * the next step of the script: text, a tool call (which the CLI then really carries out), or a
 * broken stream. Every request body is kept, so a test can see what the CLI sent back (tool
 * results, the feedback of a resumed session). /work/shared/recipes/real-agent-clis.md has the
 * details that were tried.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The providers' wire protocols: Anthropic Messages SSE, OpenAI Responses SSE, Gemini streamGenerateContent SSE. */
export type Wire = 'anthropic' | 'openai' | 'gemini';

export interface Usage {
  input: number;
  output: number;
}

export type Step =
  | { text: string; usage: Usage }
  /** A tool call the CLI runs: Claude's tool names (Write, Bash, ...), or Codex's (its request lists them). */
  /** `namespace`: a tool in one of the Responses API's tool namespaces (Codex lists an MCP server's tools as the namespace mcp__<server>). */
  | { tool: string; input: Record<string, unknown>; usage: Usage; text?: string; namespace?: string }
  /** The stream stops in the middle of a message, without its end events (the connection closes). */
  | { truncate: true; usage: Usage }
  /** Not the protocol at all: an HTTP 200 whose SSE data is not JSON. */
  | { garbage: true }
  /** The model never answers: the request stays open until the CLI gives up or the server closes (a run only a stop ends). */
  | { hang: true };

export interface Seen {
  protocol: Wire;
  path: string;
  body: Record<string, unknown>;
  /** The step that answered it (undefined: a side request answered with a plain reply). */
  step?: number;
}

export interface ScriptedModel {
  url: string;
  port: number;
  /** Requests in arrival order. */
  seen: Seen[];
  /** Steps still to come per protocol. */
  remaining(protocol: Wire): number;
  /** Replaces the script of a protocol (steps are consumed from the front). */
  script(protocol: Wire, steps: Step[]): void;
  /** Usage the server sent in the steps it answered so far (what the board should show). */
  sent(protocol: Wire): Usage;
  close(): Promise<void>;
}

const sse = (res: http.ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export async function startScriptedModel(init: { anthropic?: Step[]; openai?: Step[]; gemini?: Step[]; model?: string } = {}): Promise<ScriptedModel> {
  const scripts: Record<Wire, Step[]> = { anthropic: [...(init.anthropic ?? [])], openai: [...(init.openai ?? [])], gemini: [...(init.gemini ?? [])] };
  const sent: Record<Wire, Usage> = { anthropic: { input: 0, output: 0 }, openai: { input: 0, output: 0 }, gemini: { input: 0, output: 0 } };
  const counter = { anthropic: 0, openai: 0, gemini: 0 };
  const seen: Seen[] = [];
  let ids = 0;
  const id = (p: string) => `${p}_${(++ids).toString(16).padStart(8, '0')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // not JSON: answered below like any unknown request
      }
      if (req.method === 'POST' && url.pathname === '/v1/messages') return anthropic(body, url.pathname, res);
      if (req.method === 'POST' && url.pathname === '/v1/responses') return openai(body, url.pathname, res);
      if (req.method === 'POST' && /^\/v1beta\/models\/[^/]+:streamGenerateContent$/.test(url.pathname)) return gemini(body, url.pathname, res);
      if (req.method === 'POST' && /^\/v1beta\/models\/[^/]+:countTokens$/.test(url.pathname)) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"totalTokens":1}');
      if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: 1 }));
        return;
      }
      // HEAD / (a reachability probe) and anything else: an empty success.
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : '{}');
    });
  });

  function anthropic(body: Record<string, unknown>, p: string, res: http.ServerResponse): void {
    const model = String(body.model ?? init.model ?? 'claude-scripted');
    // A non-streaming request is a side call (a title, a quota probe): a short reply, outside the script.
    const step = body.stream === true ? scripts.anthropic.shift() : undefined;
    seen.push({ protocol: 'anthropic', path: p, body, ...(step ? { step: counter.anthropic++ } : {}) });
    if (!step) {
      const msg = { id: id('msg'), type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      if (body.stream !== true) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(msg));
      return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'the scripted model has no step left' } }));
    }
    if ('hang' in step) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if ('garbage' in step) {
      res.write('event: message_start\ndata: {not json at all\n\n');
      return void res.end();
    }
    sent.anthropic.input += step.usage.input;
    sent.anthropic.output += step.usage.output;
    sse(res, 'message_start', { type: 'message_start', message: { id: id('msg'), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: step.usage.input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } });
    let index = 0;
    const text = 'text' in step ? step.text : undefined;
    if (text) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      if ('truncate' in step) return void res.destroy();
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    if ('truncate' in step) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: 'I will start by' } });
      return void res.destroy();
    }
    if ('tool' in step) {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: id('toolu'), name: step.tool, input: {} } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.input) } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    }
    sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'tool' in step ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: step.usage.output } });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  function openai(body: Record<string, unknown>, p: string, res: http.ServerResponse): void {
    const step = scripts.openai.shift();
    seen.push({ protocol: 'openai', path: p, body, ...(step ? { step: counter.openai++ } : {}) });
    if (!step) return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'the scripted model has no step left', type: 'server_error' } }));
    if ('hang' in step) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if ('garbage' in step) {
      res.write('event: response.created\ndata: {not json at all\n\n');
      return void res.end();
    }
    sent.openai.input += step.usage.input;
    sent.openai.output += step.usage.output;
    const respId = id('resp');
    sse(res, 'response.created', { type: 'response.created', response: { id: respId, object: 'response', status: 'in_progress', output: [] } });
    if ('truncate' in step) {
      sse(res, 'response.output_text.delta', { type: 'response.output_text.delta', item_id: id('msg'), output_index: 0, content_index: 0, delta: 'I will start by' });
      return void res.destroy();
    }
    const output: unknown[] = [];
    const text = 'text' in step ? step.text : undefined;
    if (text) output.push({ type: 'message', id: id('msg'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] });
    if ('tool' in step) output.push({ type: 'function_call', id: id('fc'), call_id: id('call'), name: step.tool, ...(step.namespace ? { namespace: step.namespace } : {}), arguments: JSON.stringify(step.input), status: 'completed' });
    output.forEach((item, i) => {
      sse(res, 'response.output_item.added', { type: 'response.output_item.added', output_index: i, item });
      sse(res, 'response.output_item.done', { type: 'response.output_item.done', output_index: i, item });
    });
    sse(res, 'response.completed', {
      type: 'response.completed',
      response: {
        id: respId,
        object: 'response',
        status: 'completed',
        output,
        usage: { input_tokens: step.usage.input, input_tokens_details: { cached_tokens: 0 }, output_tokens: step.usage.output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: step.usage.input + step.usage.output },
      },
    });
    res.end();
  }

  function gemini(body: Record<string, unknown>, p: string, res: http.ServerResponse): void {
    const step = scripts.gemini.shift();
    seen.push({ protocol: 'gemini', path: p, body, ...(step ? { step: counter.gemini++ } : {}) });
    if (!step) return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 500, message: 'the scripted model has no step left', status: 'INTERNAL' } }));
    if ('hang' in step) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if ('garbage' in step) return void res.end('data: {not json at all\n\n');
    sent.gemini.input += step.usage.input;
    sent.gemini.output += step.usage.output;
    const usageMetadata = { promptTokenCount: step.usage.input, candidatesTokenCount: step.usage.output, totalTokenCount: step.usage.input + step.usage.output };
    if ('truncate' in step) {
      res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'I will start by' }] }, index: 0 }] })}\n\n`);
      return void res.destroy();
    }
    const parts: unknown[] = [];
    const text = 'text' in step ? step.text : undefined;
    if (text) parts.push({ text });
    if ('tool' in step) parts.push({ functionCall: { name: step.tool, args: step.input } });
    res.end(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: String(init.model ?? 'gemini-scripted') })}\n\n`);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    remaining: (p) => scripts[p].length,
    script: (p, steps) => void (scripts[p] = [...steps]),
    sent: (p) => ({ ...sent[p] }),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
