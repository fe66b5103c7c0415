import http from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { ProxyError, fromSocketError } from '../adapter/errors.js';
import type { InboundContext } from './context.js';
import { newMeta } from './context.js';
import { errorBody, forwardedRequestHeaders, forwardedResponseHeaders, requestHeadSize, type ProxyTarget } from './http-messages.js';

const ignore = () => {};

/**
 * Plain HTTP proxying of one absolute-URI request:
 *
 *   client ─GET http://host/p→ mixed inbound → dispatcher.open → upstream ─GET /p→ origin
 *
 * Every request is routed on its own (two requests on one keep-alive client connection may take different
 * outbounds), so each upstream carries exactly one request and is closed after its response. Bytes are
 * counted on the tracked connection: up = request head as forwarded + body, down = everything the
 * upstream sent.
 */
export async function forwardRequest(ctx: InboundContext, req: http.IncomingMessage, res: http.ServerResponse, target: ProxyTarget): Promise<void> {
  const meta = newMeta('http', req.socket as Socket, target.host, target.port);
  let opened;
  try {
    opened = await ctx.dispatcher.open(meta);
  } catch (err) {
    if (!(err instanceof ProxyError)) ctx.logger.warn({ id: meta.id, err: (err as Error)?.message }, 'dispatch failed unexpectedly');
    sendFailure(res, err);
    return;
  }
  const { upstream, tracked } = opened;
  // Failures surface through the request below; this keeps a late reset from going unheard.
  upstream.on('error', ignore);
  if (res.destroyed) {
    // The client left while we dialled.
    upstream.destroy();
    tracked.finish();
    return;
  }
  res.once('close', () => {
    upstream.destroy();
    tracked.finish();
  });

  const headers = forwardedRequestHeaders(req.rawHeaders, target.authority);
  headers.push('Connection', 'close');
  const method = req.method ?? 'GET';
  const upstreamReq = http.request({ method, path: target.path, headers, createConnection: () => upstream as Socket });
  tracked.addUp(requestHeadSize(method, target.path, headers));
  upstream.on('data', (chunk: Buffer) => tracked.addDown(chunk.length));
  req.on('data', (chunk: Buffer) => tracked.addUp(chunk.length));
  req.pipe(upstreamReq);

  upstreamReq.on('error', (err) => {
    if (!res.headersSent) sendFailure(res, fromSocketError(err, `http ${target.host}:${target.port}`));
    else res.destroy();
  });
  upstreamReq.on('response', (upstreamRes) => {
    try {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, forwardedResponseHeaders(upstreamRes.rawHeaders));
    } catch (err) {
      // A header node:http will not write (invalid characters): the client gets a clean 502 instead.
      upstreamRes.destroy();
      return sendFailure(res, new ProxyError('UPSTREAM_PROTOCOL', `unwritable response header: ${(err as Error).message}`));
    }
    pipeline(upstreamRes, res, ignore);
  });
}

/** Answers a failed request with the error's status and a short body naming its code, then closes. */
export function sendFailure(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const proxyErr = err instanceof ProxyError ? err : undefined;
  const status = proxyErr ? proxyErr.httpStatus : 502;
  sendText(res, status, errorBody(status, proxyErr?.code ?? 'INTERNAL'));
}

export function sendText(res: http.ServerResponse, status: number, body: string, extraHeaders: readonly string[] = []): void {
  res.writeHead(status, ['Content-Type', 'text/plain', 'Content-Length', String(body.length), 'Connection', 'close', ...extraHeaders]);
  res.end(body);
}
