import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the renderer's Vite build lands, from the repository root. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>Switchyard</title><p>The Switchyard UI is not built: run the renderer build to create renderer/dist.</p>\n';

/**
 * `/ui/...`: files of the built UI (no secret needed: the page carries no data, it asks for the token).
 * A path that is no file gets index.html, so the single-page app routes it; a missing build gets a
 * one-line page saying so. `/ui` redirects to `/ui/` so relative asset paths resolve.
 */
export async function serveUi(req: IncomingMessage, res: ServerResponse, pathname: string, uiDir: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  if (pathname === '/ui') {
    res.writeHead(301, { location: '/ui/' }).end();
    return;
  }
  const root = path.resolve(uiDir);
  const index = path.join(root, 'index.html');
  if (!(await isFile(index))) {
    send(req, res, 200, 'text/html; charset=utf-8', Buffer.from(NOT_BUILT));
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice('/ui/'.length));
  } catch {
    relative = '';
  }
  const file = path.resolve(root, relative);
  // Never outside the build folder, whatever `..` or encoded slashes the path carries.
  const inside = file === root || file.startsWith(root + path.sep);
  const target = inside && relative !== '' && (await isFile(file)) ? file : index;
  const type = CONTENT_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
  const size = (await stat(target)).size;
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': target === index ? 'no-cache' : 'public, max-age=3600' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(target)
    .on('error', () => res.destroy())
    .pipe(res);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
