import net from 'node:net';
import type { Dispatcher } from '../adapter/dispatcher.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { InboundContext } from './context.js';
import { Credentials } from './credentials.js';
import { HttpProxy } from './http.js';
import { Socks4Handshake } from './socks4.js';
import { Socks5Handshake } from './socks5.js';

export interface MixedInboundOptions {
  /** Bind address when allowLan is false (default 127.0.0.1). */
  host?: string;
  /** Default 7890; 0 picks a free port. */
  port?: number;
  /** Listen on every interface (0.0.0.0) so other machines can use the proxy. */
  allowLan?: boolean;
  /** `user:pass` entries; when present, every protocol must authenticate (SOCKS4 cannot, so it is refused). */
  authentication?: readonly string[];
  /** A client must complete its request within this many ms (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Idle time allowed between plain HTTP requests on one client connection (default 30 s). */
  keepAliveTimeoutMs?: number;
  logger?: Logger;
}

export interface BoundAddress {
  host: string;
  port: number;
}

export const DEFAULT_MIXED_PORT = 7890;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a refused client may take to read our answer and close before we close it ourselves. */
const LINGER_MS = 2_000;

export function bindHost(options: Pick<MixedInboundOptions, 'host' | 'allowLan'>): string {
  return options.allowLan ? '0.0.0.0' : (options.host ?? '127.0.0.1');
}

function ignoreError(): void {}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}

/** A client that ends its side before finishing a handshake can never finish it. */
function destroyOnEnd(this: net.Socket): void {
  this.destroy();
}

/**
 * SOCKS5, SOCKS4/4a, HTTP CONNECT and plain HTTP proxying on one port, told apart by the first byte:
 *
 *   client → mixed inbound → (socks5 | socks4 | http) handshake → dispatcher → outbound → relay
 *
 * Every client socket is held until it closes, with at most one timer: the handshake deadline, or the
 * linger after a refusal. close() ends them all.
 */
export class MixedInbound implements InboundContext {
  readonly credentials: Credentials | undefined;
  readonly logger: Logger;
  private readonly server: net.Server;
  private readonly http: HttpProxy;
  private readonly handshakeTimeoutMs: number;
  /** Client sockets still open → their armed timer (handshake deadline or linger), if any. */
  private readonly clients = new Map<net.Socket, NodeJS.Timeout | undefined>();
  private bound?: BoundAddress;
  // Listeners shared by every socket (called with `this` = the socket), so accepting allocates no closures.
  private readonly forget: (this: net.Socket) => void;
  private readonly sniff: (this: net.Socket, first: Buffer) => void;

  constructor(
    readonly dispatcher: Dispatcher,
    private readonly options: MixedInboundOptions = {},
  ) {
    this.credentials = Credentials.from(options.authentication);
    this.logger = options.logger ?? silentLogger;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.http = new HttpProxy(this, { keepAliveTimeoutMs: options.keepAliveTimeoutMs });
    const clients = this.clients;
    this.forget = function (this: net.Socket) {
      clearTimeout(clients.get(this));
      clients.delete(this);
    };
    const inbound = this;
    this.sniff = function sniff(this: net.Socket, first: Buffer) {
      this.off('data', sniff);
      inbound.dispatchByFirstByte(this, first);
    };
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  get address(): BoundAddress | undefined {
    return this.bound;
  }

  start(): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      const host = bindHost(this.options);
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? DEFAULT_MIXED_PORT, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger.error({ err: err.message }, 'mixed inbound listener error'));
        const addr = this.server.address() as net.AddressInfo;
        this.bound = { host: addr.address, port: addr.port };
        this.logger.info({ host: addr.address, port: addr.port }, 'mixed inbound listening');
        resolve(this.bound);
      });
    });
  }

  /** Stops accepting and ends every client socket still held, mid-handshake or relaying. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        this.destroyClients();
        return resolve();
      }
      this.server.close(() => resolve());
      this.destroyClients();
    });
  }

  private destroyClients(): void {
    for (const socket of [...this.clients.keys()]) socket.destroy();
  }

  private accept(socket: net.Socket): void {
    this.clients.set(socket, setTimeout(destroySocket, this.handshakeTimeoutMs, socket));
    // `on`, not `once`: once() wraps every listener in a new closure.
    socket.on('close', this.forget);
    socket.on('error', ignoreError);
    socket.on('end', destroyOnEnd);
    socket.on('data', this.sniff);
  }

  private dispatchByFirstByte(socket: net.Socket, first: Buffer): void {
    const b = first[0]!;
    if (b === 0x05) return new Socks5Handshake(this, socket, first).start();
    if (b === 0x04) return new Socks4Handshake(this, socket, first).start();
    // Every HTTP method token starts with an upper-case letter (GET, POST, CONNECT...).
    if (b >= 0x41 && b <= 0x5a) {
      socket.off('end', destroyOnEnd);
      return this.http.accept(socket, first);
    }
    this.logger.debug({ src: socket.remoteAddress, firstByte: b }, 'unknown protocol');
    this.closeClient(socket);
  }

  handshakeDone(socket: net.Socket): void {
    const timer = this.clients.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.clients.set(socket, undefined);
    socket.off('end', destroyOnEnd);
  }

  closeClient(socket: net.Socket, answer?: Buffer | string): void {
    if (socket.destroyed) return;
    socket.off('end', destroyOnEnd);
    if (answer === undefined) socket.end();
    else socket.end(answer);
    socket.resume();
    if (!this.clients.has(socket)) return;
    clearTimeout(this.clients.get(socket));
    this.clients.set(socket, setTimeout(destroySocket, LINGER_MS, socket));
  }
}
