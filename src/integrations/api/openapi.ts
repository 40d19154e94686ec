/**
 * The OpenAPI 3.1 document, generated from the route table (routes.ts) and the same zod schemas the
 * board commands use (`z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 speaks), and the
 * reference page at /api/docs rendered from that document: one self-contained HTML page, no CDN.
 */
import { z } from 'zod';
import { Problem } from './problem';
import { ROUTES, type ApiRoute } from './routes';

type Json = Record<string, unknown>;

/** Schemas with a `.meta({ id })` come out as $defs; OpenAPI keeps them under components.schemas. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (out.$defs ?? {}) as Json;
  delete out.$defs;
  delete out.$schema;
  for (const [k, v] of Object.entries(defs)) components[k] ??= rewrite(v);
  const s = rewrite(out) as Json;
  // A schema that is itself an id'd one is a $ref to it.
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (id) {
    components[id] ??= s;
    return { $ref: `#/components/schemas/${id}` };
  }
  return s;
}
const rewrite = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replaceAll('"#/$defs/', '"#/components/schemas/'));

function parameters(r: ApiRoute, components: Json): Json[] {
  const out: Json[] = [];
  for (const [where, obj] of [['path', r.params], ['query', r.query]] as const) {
    if (!obj) continue;
    for (const [name, field] of Object.entries(obj.shape)) {
      const schema = toSchema(field as z.ZodType, 'input', components);
      const description = (schema.description as string | undefined) ?? undefined;
      out.push({ name, in: where, required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success, schema, ...(description ? { description } : {}) });
    }
  }
  return out;
}

const SCOPE_TEXT = {
  none: 'No token needed.',
  read: 'Any token (read, agent, operator or admin).',
  agent: 'A token that may write: agent (as its own agent), operator or admin; a read token is refused.',
  operator: 'An operator or admin token (acting for the person).',
  admin: 'An admin token.',
} as const;

export function openApiDocument(opts: { version: string; serverUrl?: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const r of ROUTES) {
    const ok = String(r.status ?? 200);
    const responseSchema = toSchema(r.response, 'output', components);
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      description: [r.description, `**Scope:** ${SCOPE_TEXT[r.scope]}`].filter(Boolean).join('\n\n'),
      tags: [r.tag],
      'x-dreamos-scope': r.scope,
      ...(r.scope === 'none' ? { security: [] } : {}),
      parameters: parameters(r, components),
      responses: {
        [ok]: {
          description: 'OK',
          content: {
            'application/json': { schema: responseSchema },
            ...(r.sse ? { 'text/event-stream': { schema: { type: 'string', description: 'id: <seq>\\nevent: <type>\\ndata: <Event as JSON>' } } } : {}),
          },
        },
        default: { $ref: '#/components/responses/Problem' },
      },
    };
    if (r.body) {
      const optional = r.body.safeParse(undefined).success;
      op.requestBody = { required: !optional, content: { 'application/json': { schema: toSchema(r.body, 'input', components) } } };
    }
    (paths[r.path] ??= {})[r.method] = op;
  }
  const problem = toSchema(Problem, 'output', components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dream.OS board API',
      version: opts.version,
      description: 'The board from anywhere: tasks, agents, mail, proposals and events, as the editor and `dreamos` see them. Every request runs as its token (`dreamos token create <name> --scope read|agent|operator|admin`); errors are RFC 9457 problem details carrying the CLI\'s error code.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: components,
      responses: { Problem: { description: 'A problem (RFC 9457): 400 invalid input, 401 no usable token, 403 not allowed, 404 not found, 409 refused, 413 too large, 429 rate limited (Retry-After), 503 board unavailable', content: { 'application/problem+json': { schema: problem } } } },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A named token: `dreamos token create <name> --scope <scope>`' },
        session: { type: 'apiKey', in: 'cookie', name: 'dreamos_api_<port>', description: 'From POST /api/v1/session (pages served by this server)' },
      },
    },
  };
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** /api/docs: the document as a readable page (no script, no CDN). */
export function docsPage(doc: Json): string {
  const info = doc.info as { title: string; version: string; description: string };
  const rows: string[] = [];
  const toc: string[] = [];
  for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const id = esc(op.operationId);
      toc.push(`<li><a href="#${id}"><code>${method.toUpperCase()} ${esc(p)}</code></a> ${esc(op.summary)}</li>`);
      const params = (op.parameters as Json[]).map((x) => `<li><code>${esc(x.name)}</code> (${esc(x.in)}${x.required ? ', required' : ''}) ${esc(x.description)}</li>`).join('');
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content['application/json']?.schema;
      const okKey = Object.keys(op.responses as Json).find((k) => k !== 'default')!;
      const ok = ((op.responses as Record<string, { content: Record<string, { schema: unknown }> }>)[okKey]!).content['application/json']!.schema;
      rows.push(`<section id="${id}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(p)}</code></h3><p>${esc(op.summary)}</p><p>${esc(op.description).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/\n\n/g, '</p><p>')}</p>${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${body ? `<h4>Request body</h4><pre>${esc(JSON.stringify(body, null, 2))}</pre>` : ''}<h4>${okKey} response</h4><pre>${esc(JSON.stringify(ok, null, 2))}</pre></section>`);
    }
  }
  const schemas = Object.entries((doc.components as { schemas: Json }).schemas).map(([k, v]) => `<section id="schema-${esc(k)}"><h3>${esc(k)}</h3><pre>${esc(JSON.stringify(v, null, 2))}</pre></section>`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>${esc(info.title)} ${esc(info.version)}</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem 1.5rem}code,pre{font:13px ui-monospace,monospace}pre{background:#8881;padding:.75rem;overflow:auto;max-height:24rem;border-radius:6px}
section{border-top:1px solid #8884;padding-top:.5rem}.m{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}.get{background:#2b7a3d}.post{background:#1f5fa8}.delete{background:#a8321f}
</style></head><body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send <code>Authorization: Bearer &lt;token&gt;</code>.</p><h2>Routes</h2><ul>${toc.join('')}</ul>${rows.join('')}<h2>Schemas</h2>${schemas.join('')}</body></html>`;
}
