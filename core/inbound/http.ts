import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { InboundContext, TunnelAnswers } from './context.js';
import { newMeta, openTunnel } from './context.js';
import { forwardRequest, sendText } from './http-forward.js';
import {
  CONNECT_ESTABLISHED,
  PROXY_AUTH_CHALLENGE,
  RESPONSE_400,
  RESPONSE_407,
  RESPONSE_431,
  errorBody,
  parseAbsoluteHttpUrl,
  parseAuthority,
  rawErrorResponse,
} from './http-messages.js';

const connectAnswers: TunnelAnswers = {
  success: CONNECT_ESTABLISHED,
  failure: (err) => (err ? rawErrorResponse(err.httpStatus, err.code) : rawErrorResponse(502, 'INTERNAL')),
};

export interface HttpProxyOptions {
  /** How long an idle keep-alive client connection is kept between plain requests. */
  keepAliveTimeoutMs?: number;
}

/**
 * The HTTP side of the mixed listener: CONNECT tunnels and plain absolute-URI requests. node:http parses;
 * its server never listens itself, the mixed listener hands it the sockets whose first byte says HTTP.
 */
export class HttpProxy {
  private readonly server: http.Server;

  constructor(
    private readonly ctx: InboundContext,
    options: HttpProxyOptions = {},
  ) {
    this.server = http.createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000 });
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onConnect(req, socket as Socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket as Socket));
  }

  /** Takes over a client socket; `first` is the chunk already read to sniff the protocol. */
  accept(socket: Socket, first: Buffer): void {
    this.server.emit('connection', socket);
    // The parser now reads the socket; give it the sniffed chunk as if it had just arrived.
    socket.emit('data', first);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const credentials = this.ctx.credentials;
    if (credentials === undefined || credentials.checkBasic(req.headers['proxy-authorization'])) return true;
    this.ctx.logger.debug({ src: req.socket.remoteAddress }, 'http proxy authentication failed');
    return false;
  }

  private onConnect(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    this.ctx.handshakeDone(socket);
    if (!this.authorized(req)) return this.ctx.closeClient(socket, RESPONSE_407);
    const dest = parseAuthority(req.url ?? '');
    if (!dest) return this.ctx.closeClient(socket, RESPONSE_400);
    if (head.length > 0) socket.unshift(head);
    void openTunnel(this.ctx, socket, newMeta('http-connect', socket, dest.host, dest.port), connectAnswers);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.ctx.handshakeDone(req.socket as Socket);
    if (!this.authorized(req)) {
      return sendText(res, 407, errorBody(407, 'PROXY_AUTHENTICATION_REQUIRED'), ['Proxy-Authenticate', PROXY_AUTH_CHALLENGE]);
    }
    const target = parseAbsoluteHttpUrl(req.url ?? '');
    // An origin-form request (`GET / HTTP/1.1`) is addressed to the proxy itself, which serves nothing.
    if (!target) return sendText(res, 400, errorBody(400, 'NOT_A_PROXY_REQUEST'));
    void forwardRequest(this.ctx, req, res, target);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // While a bad request is drained, node:http reports each further chunk again; the answer went out once.
    if (socket.destroyed || socket.writableEnded) return;
    // Same rule as node's default handler: never write into a response already on the wire.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent || (err.code !== undefined && !err.code.startsWith('HPE_'))) {
      socket.destroy();
      return;
    }
    this.ctx.closeClient(socket, err.code === 'HPE_HEADER_OVERFLOW' ? RESPONSE_431 : RESPONSE_400);
  }
}
