/**
 * Fixtures for the API gateway tests: a real board (sql.js hub in this process, its real socket),
 * named tokens of every scope, the gateway on 127.0.0.1, and a node:http client that can send any
 * Host, Origin or body (fetch would not let a test forge Host).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/integrations/http/gateway';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface SendOpts {
  token?: string;
  body?: unknown;
  /** Sent as is (malformed JSON, huge bodies). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export function send(port: number, method: string, pathname: string, o: SendOpts = {}): Promise<Reply> {
  const body = o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
    ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
    ...o.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface ApiFixture {
  dir: string;
  person: BoardClient;
  gateway: Gateway;
  port: number;
  tokens: { admin: string; operator: string; read: string; agent: string; other: string };
  agentId: string;
  close(): Promise<void>;
}

/** A board with agents "coder" and "helper", a token of each scope (agent: coder) and a gateway. */
export async function apiFixture(extra: Partial<GatewayOptions> = {}): Promise<ApiFixture> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-api-'));
  const dir = path.join(root, '.dreamos');
  const person = await connectBoard({ dir, client: 'person', hubMode: 'in-process', actor: 'human:test' });
  const coder = await person.call({ type: 'agent.register', name: 'coder' });
  await person.call({ type: 'agent.register', name: 'helper' });
  const mint = async (name: string, scope: 'read' | 'agent' | 'operator' | 'admin', agent?: string) => (await person.call({ type: 'token.create', name, scope, ...(agent ? { agent } : {}) })).token;
  const tokens = { admin: await mint('root', 'admin'), operator: await mint('ops', 'operator'), read: await mint('viewer', 'read'), agent: await mint('coder-mcp', 'agent', 'coder'), other: await mint('helper-mcp', 'agent', 'helper') };
  const gateway = await startGateway({ connection: person, dir, workspace: root, dashboard: false, version: 'test', ...extra });
  return {
    dir,
    person,
    gateway,
    port: gateway.port,
    tokens,
    agentId: coder.id,
    async close() {
      await gateway.close();
      await person.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Validates values against the schemas of a served OpenAPI document (JSON Schema 2020-12). */
export function documentValidator(doc: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return (pointer: string[], value: unknown): string | undefined => {
    const validate = ajv.compile({ $ref: `openapi#/${pointer.map(esc).join('/')}` });
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
}
