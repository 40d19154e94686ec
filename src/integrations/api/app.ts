/**
 * The REST API's router: hono (a small, well-kept router with a Web-standard Request/Response
 * core, run on node:http by @hono/node-server) built from the route table. Each route's path,
 * query and body are checked with its zod schemas, the caller is authenticated by the gateway
 * (its own board connection, so the hub enforces the token's scope) and every failure is one
 * problem+json answer.
 */
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { WhoAmI } from '../../core/auth/tokens';
import { DreamError } from '../../core/errors';
import type { BoardClient } from '../../core/hub/connect';
import { docsPage, openApiDocument } from './openapi';
import { httpProblem, isDeadCredential, PROBLEM_CONTENT_TYPE, problemOf, ProblemError, type Problem } from './problem';
import { ROUTES, type ApiRoute, type RouteServices } from './routes';

export interface CallerAuth {
  token: string;
  board: BoardClient;
  whoami: WhoAmI;
}

export interface ApiAppOptions {
  services: RouteServices;
  /** Who is calling (Bearer token or session cookie); throws a ProblemError (401, 429) when no one usable. */
  authenticate(req: IncomingMessage): Promise<CallerAuth>;
  /** A token the hub no longer accepts: forget its connection. */
  forget(token: string): void;
  maxBodyBytes: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

type Env = { Bindings: { incoming: IncomingMessage }; Variables: { auth?: CallerAuth } };

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), { status: p.status, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers } });
}

const honoPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

function check<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new DreamError('invalid_input', `Invalid ${where}: ${z.prettifyError(r.error)}`, r.error.issues);
  return r.data;
}

async function readJson(c: Context, r: ApiRoute): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new DreamError('invalid_input', `Send the body of ${r.method.toUpperCase()} ${r.path} as JSON (Content-Type: application/json).`, { field: 'body' });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DreamError('invalid_input', `The body is not JSON (${(err as Error).message}).`, { field: 'body' });
  }
}

export function buildApiApp(o: ApiAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= openApiDocument({ version: o.services.version }));
  const secure = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

  app.get('/openapi.json', (c) => c.json(document(), 200, secure));
  app.get('/api/docs', (c) =>
    c.html(docsPage(document()), 200, { ...secure, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" }),
  );
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: o.maxBodyBytes,
      onError: () => problemResponse(httpProblem('too_large', `The body is larger than ${o.maxBodyBytes} bytes. Send less (a proposal's files in several proposals), or start the server with a larger limit.`)),
    }),
  );

  for (const r of ROUTES) {
    app.on(r.method.toUpperCase(), honoPath(r.path), async (c) => {
      // Who first: a request without a usable token learns nothing about the route's schemas.
      const auth = r.scope === 'none' ? undefined : await o.authenticate(c.env.incoming);
      c.set('auth', auth);
      const params = r.params ? check(r.params, c.req.param(), 'path') : undefined;
      const query = r.query ? check(r.query, Object.fromEntries(new URL(c.req.url).searchParams), 'query') : undefined;
      const raw = r.method === 'get' || r.method === 'delete' ? undefined : await readJson(c, r);
      const body = r.body && r.validateBody !== false ? check(r.body, raw, 'body') : raw;
      if (r.body && r.validateBody === false && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) throw new DreamError('invalid_input', 'Send a board command as a JSON object: { "type": "task.list", ... }.', { field: 'type' });
      const result = await r.run({ params, query, body, raw, board: auth?.board as BoardClient, whoami: auth?.whoami as WhoAmI, c, services: o.services });
      if (result instanceof Response) return result;
      c.header('Cache-Control', 'no-store');
      return c.json((result ?? null) as object, r.status ?? 200);
    });
  }

  app.notFound((c) => problemResponse(httpProblem('not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname}. See /api/docs for the routes.`, new URL(c.req.url).pathname)));
  app.onError((err, c) => {
    const instance = new URL(c.req.url).pathname;
    if (err instanceof ProblemError) return problemResponse({ ...err.problem, instance }, err.headers);
    if (isDeadCredential(err)) {
      const auth = c.get('auth');
      if (auth) o.forget(auth.token);
      return problemResponse(httpProblem('unauthenticated', `${(err as Error).message}`, instance), { 'WWW-Authenticate': 'Bearer' });
    }
    const p = problemOf(err, instance);
    if (p.status >= 500) o.log('error', `${c.req.method} ${instance} failed: ${DreamError.from(err).message}`);
    return problemResponse(p);
  });
  return app;
}
