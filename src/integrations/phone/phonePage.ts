/**
 * The phone page (issue 16): a small page at /phone on the gateway (src/integrations/http/gateway.ts,
 * mounted as a `staticPages` entry, so Host, Origin and the per-address limits apply). It is served
 * without a token: the page signs in with POST /api/v1/session, and everything it shows or does goes
 * through the REST API as that token (the hub decides what it may do). The page's script and styles
 * are the `webview/phone` bundle (webview-ui/phone/, built by esbuild.mjs).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { DreamError } from '../../core/errors';
import { defaultAssetsDir } from '../http/dashboardRoutes';

export const PHONE_PATH = '/phone';

/** Where the built phone.js / phone.css are: the same dist/webview as the dashboard's bundle. */
export const defaultPhoneAssetsDir = (): string => defaultAssetsDir('phone.js');

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SECURE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY' };

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="#f6f7f9" media="(prefers-color-scheme: light)">
<meta name="theme-color" content="#1b1f25" media="(prefers-color-scheme: dark)">
<title>Dream.OS</title>
<link rel="stylesheet" href="${PHONE_PATH}/phone.css">
</head>
<body>
<div id="app"><noscript>The Dream.OS phone page needs JavaScript.</noscript></div>
<script src="${PHONE_PATH}/phone.js"></script>
</body>
</html>
`;

const ASSETS: Record<string, { file: string; type: string }> = {
  [`${PHONE_PATH}/phone.js`]: { file: 'phone.js', type: 'text/javascript; charset=utf-8' },
  [`${PHONE_PATH}/phone.css`]: { file: 'phone.css', type: 'text/css; charset=utf-8' },
};

/** The gateway's handler for /phone and its two files. Refuses to start when the bundle was never built. */
export function phonePage(opts: { assetsDir?: string } = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const dir = opts.assetsDir ?? defaultPhoneAssetsDir();
  if (!existsSync(path.join(dir, 'phone.js'))) {
    throw new DreamError('unavailable', `The phone page's files are missing from ${dir}. Build them with "npm run build" (or reinstall Dream.OS), then try again.`);
  }
  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://phone.invalid').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURE, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('The phone page only answers GET; its actions go to /api/v1.');
    }
    if (pathname === PHONE_PATH || pathname === `${PHONE_PATH}/`) {
      res.writeHead(200, { ...SECURE, 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(req.method === 'HEAD' ? undefined : HTML);
    }
    const asset = ASSETS[pathname];
    if (!asset) {
      res.writeHead(404, { ...SECURE, 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end(`Nothing at ${pathname}. The phone page is ${PHONE_PATH}.`);
    }
    const body = await readFile(path.join(dir, asset.file));
    res.writeHead(200, { ...SECURE, 'Content-Type': asset.type, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
