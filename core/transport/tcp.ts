import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Transport, TransportOptions, TransportTarget } from '../adapter/transport.js';
import { ProxyError, fromSocketError } from '../adapter/errors.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface TcpConnectOptions extends TransportOptions {
  /**
   * Read with `onread` into reused buffers, so relay() can take the bytes without the stream machinery
   * (takeReads). Until something takes them the socket is an ordinary stream ('data', pipe, read()).
   */
  directReads?: boolean;
}

/**
 * Opens a TCP connection and resolves once it is established. Half-close is allowed so that a client's
 * FIN does not cut off the reply still coming back.
 */
export function connectTcp(target: TransportTarget, options: TcpConnectOptions = {}): Promise<net.Socket> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new ProxyError('ABORTED', 'dial aborted'));
    const connectOptions: net.NetConnectOpts = { host: target.host, port: target.port, allowHalfOpen: true, noDelay: true };
    let reads: DirectReads | undefined;
    if (options.directReads) {
      reads = new DirectReads();
      connectOptions.onread = { buffer: reads.nextBuffer, callback: reads.onRead };
    }
    const socket = net.connect(connectOptions);
    if (reads) {
      reads.socket = socket;
      directReaders.set(socket, reads);
    }
    const done = (err?: Error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = () => done();
    const onError = (err: Error) => done(fromSocketError(err, `connect ${target.host}:${target.port}`));
    const onAbort = () => done(new ProxyError('ABORTED', `connect ${target.host}:${target.port} aborted`));
    const timer = setTimeout(
      () => done(new ProxyError('TIMEOUT', `connect ${target.host}:${target.port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const tcpTransport: Transport = {
  kind: 'tcp',
  connect: (target, options): Promise<Duplex> => connectTcp(target, options),
};

/**
 * TCP whose socket relay() can read directly (takeReads), for outbounds that hand the socket itself to the
 * relay once their handshake is done (SOCKS5, HTTP CONNECT). Not for codecs that read it as a stream: they
 * would only pay a copy per read.
 */
export const relayTcpTransport: Transport = {
  kind: 'tcp',
  connect: (target, options): Promise<Duplex> => connectTcp(target, { ...options, directReads: true }),
};

/**
 * What takes a socket's bytes straight from its read buffer (see takeReads). Returning false stops reading
 * until socket.resume(); the chunk stays valid until the sink returns true, or after false until that resume.
 */
export type ReadSink = (chunk: Buffer) => boolean;

/** One read buffer for every socket: what is read into it is copied out before the next read anywhere. */
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);
/** A read this large means bulk transfer: the socket gets a buffer of its own that is written without a copy. */
export const BULK_READ = 16 * 1024;
/**
 * The own buffer starts at 256 KiB and doubles, up to 1 MiB, while reads fill it. Fewer, larger reads and
 * writes: measured on loopback, 1 MiB reads cost 330 ms of CPU per GiB relayed, 256 KiB 480, Node's 64 KiB
 * 'data' path 730 (v2ray: 670).
 */
const OWN_READ_BUFFER_MIN = 256 * 1024;
const OWN_READ_BUFFER_MAX = 1024 * 1024;
/** Small reads in a row after which a socket gives its own buffer up (the transfer went quiet). */
export const SMALL_READS_TO_GIVE_UP = 8;

const directReaders = new WeakMap<net.Socket, DirectReads>();

/**
 * The `onread` side of a directReads socket. Small reads go through the shared buffer and are copied (a few
 * bytes, from Node's buffer pool); once a read is bulk-sized and a sink has taken the socket, it reads into a
 * buffer of its own and hands out views of it, which the sink writes without copying and keeps until it
 * resumes the socket. A small read gives that buffer up again, so a socket that went quiet holds none.
 */
class DirectReads {
  socket!: net.Socket;
  sink?: ReadSink;
  private own?: Buffer;
  /** Small reads in a row into the own buffer. */
  private smallReads = 0;

  readonly nextBuffer = (): Buffer => this.own ?? SHARED_READ_BUFFER;

  readonly onRead = (n: number, buf: Uint8Array): boolean => {
    let chunk: Buffer;
    if (buf === this.own) {
      chunk = this.own.subarray(0, n);
      // The sink may still hold the old buffer; the next read goes to the new one. A peer that writes in
      // pieces around BULK_READ (a SOCKS server relaying, ss-server's 16 KiB chunks) makes reads alternate
      // small and bulk: give the buffer up only after several small reads in a row, not at each one,
      // or every other read allocates a new one (measured: 40 % more CPU per MiB through microsocks).
      if (n < BULK_READ) {
        if (++this.smallReads >= SMALL_READS_TO_GIVE_UP) this.own = undefined;
      } else {
        this.smallReads = 0;
        if (n === buf.length && n < OWN_READ_BUFFER_MAX) this.own = Buffer.allocUnsafeSlow(2 * n);
      }
    } else {
      chunk = Buffer.from(buf.subarray(0, n));
      if (n >= BULK_READ && this.sink) {
        this.own = Buffer.allocUnsafeSlow(OWN_READ_BUFFER_MIN);
        this.smallReads = 0;
      }
    }
    // Not taken yet: an ordinary stream, as Node's own read path would push it.
    return this.sink ? this.sink(chunk) : this.socket.push(chunk);
  };
}

/**
 * A stream other than a directReads socket that can hand its reads to a sink on the same terms (a
 * FramedStream whose codec decrypts into buffers of its own): takeReads calls this.
 */
export const TAKE_READS = Symbol('takeReads');
export interface ReadTaker {
  [TAKE_READS](sink: ReadSink): boolean;
}

/**
 * Sends everything a directReads socket (or a ReadTaker) reads to `sink` from now on, starting with what it read before
 * (still in its stream buffer). Its 'end', 'error' and 'close' events are unchanged. Returns false, and
 * changes nothing, for any other stream.
 */
export function takeReads(socket: Duplex, sink: ReadSink): boolean {
  const reads = directReaders.get(socket as net.Socket);
  if (!reads) return (socket as Partial<ReadTaker>)[TAKE_READS]?.(sink) ?? false;
  if (reads.sink) return false;
  let more = true;
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) more = sink(chunk);
  reads.sink = sink;
  // Reading may have stopped because the stream buffer filled before anyone read it; a sink that said
  // false resumes the socket itself.
  if (more) socket.resume();
  return true;
}
