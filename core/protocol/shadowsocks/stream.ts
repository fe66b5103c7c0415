import type { Duplex } from 'node:stream';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';
import { ByteQueue } from '../common/byte-queue.js';
import { ReadOutput } from '../common/read-output.js';
import { FramedStream, type FramedFailure, type StreamCodec } from '../common/framed-stream.js';
import { FrameError, type RequestEncoder, type ResponseDecoder } from './framing.js';

export interface ShadowsocksStreamOptions {
  /** Begun (RequestEncoder.begin): its first encode() carries salt and header in front of the payload. */
  encoder: RequestEncoder;
  decoder: ResponseDecoder;
  /** Outbound name for errors. */
  outbound: string;
  /** `server:port`, for messages. */
  server: string;
}

/**
 * Shadowsocks chunks as a StreamCodec. SS has no server handshake, so a wrong key shows up only as the server
 * closing or sending garbage: an end before any chunk authenticated, or a first chunk that fails
 * authentication, becomes UPSTREAM_AUTH_FAILED.
 */
export class ShadowsocksCodec implements StreamCodec {
  /** Received bytes as the buffers they arrived in; the decoder takes exactly what each chunk needs. */
  private readonly queue = new ByteQueue();
  /**
   * Payload is opened into our own buffer and nothing of a read is kept past decode() but the unparsed tail,
   * which is copied (detach): so over plain TCP the socket's reads go into a reused buffer and the relay
   * takes our payload directly (FramedStream's TAKE_READS), with no stream machinery between.
   */
  readonly decodesBorrowedReads = true;

  constructor(private readonly opts: ShadowsocksStreamOptions) {}

  get answered(): boolean {
    return this.opts.decoder.authenticated;
  }

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    const wire: Buffer[] = [];
    this.opts.encoder.encode(payload, wire);
    // One buffer per write: a memcpy is cheaper than the stream bookkeeping of a write per sealed piece.
    if (wire.length > 0) out.push(wire.length === 1 ? wire[0]! : Buffer.concat(wire));
  }

  /** Salt and the chunk naming the target, for a client that says nothing (server speaks first). */
  encodeHeaderAlone(out: Buffer[]): void {
    this.encode([], out);
  }

  finish(): void {}

  /** One plaintext buffer per read (see ReadOutput); reused between reads once reuseOutput() says so. */
  private readonly output = new ReadOutput();

  reuseOutput(): void {
    this.output.reuse = true;
  }

  /** The chunks of one read are opened into one buffer and handed on as one view of what verified. */
  decode(data: Buffer, push: (payload: Buffer) => void, borrowed = false): boolean {
    this.queue.push(data);
    let plain: Buffer | undefined;
    let length = 0;
    try {
      this.opts.decoder.decode(
        this.queue,
        (pieces) => {
          for (const p of pieces) length += p.length;
          return true;
        },
        () => (plain = this.output.take(this.queue.length)),
      );
    } finally {
      if (length > 0) push(plain!.subarray(0, length)); // also what verified before a bad chunk
      if (borrowed) this.queue.detach(); // `data` is reused after we return
    }
    return false; // SS streams end with the connection, never in-band
  }

  failure(reason: FramedFailure): Error | undefined {
    const server = `shadowsocks server ${this.opts.server}`;
    const authenticated = this.opts.decoder.authenticated;
    switch (reason.kind) {
      case 'end':
        if (this.opts.decoder.atChunkBoundary(this.queue)) return undefined;
        return authenticated
          ? this.error('UPSTREAM_CLOSED', `${server} closed the connection in the middle of a chunk`)
          : // The server may also just have had nothing to say (target refused or answered nothing).
            this.authFailure(`${server} closed the connection without sending a valid chunk`, undefined, 'or the target closed without answering');
      case 'decode': {
        const err = reason.error;
        if (!(err instanceof FrameError)) return this.error('INTERNAL', `shadowsocks decode: ${(err as Error).message}`, err);
        if (err.reason === 'auth' && !authenticated) return this.authFailure(`${server}: ${err.message}`, err);
        return this.error('UPSTREAM_PROTOCOL', `${server}: ${err.message}`, err);
      }
      case 'closed':
        return authenticated
          ? this.error('UPSTREAM_CLOSED', `${server} connection closed`)
          : this.authFailure(`${server} connection closed before a valid chunk arrived`);
      case 'socket': {
        const err = reason.error as NodeJS.ErrnoException;
        if ((err.code === 'ECONNRESET' || err.code === 'EPIPE') && !authenticated) {
          return this.authFailure(`${server} reset the connection before sending a valid chunk`, err);
        }
        const e = fromSocketError(err, server, this.opts.outbound);
        return e.outbound ? e : this.error(e.code, e.message, err);
      }
    }
  }

  private authFailure(what: string, cause?: unknown, alternative?: string): ProxyError {
    return this.error('UPSTREAM_AUTH_FAILED', `${what} (wrong password or cipher?${alternative ? ` ${alternative}` : ''})`, cause);
  }

  private error(code: ProxyError['code'], message: string, cause?: unknown): ProxyError {
    return new ProxyError(code, message, { outbound: this.opts.outbound, cause });
  }
}

/**
 * The plaintext side of a Shadowsocks connection over any byte pipe (tcp, tls, ws, obfs):
 *
 *   caller ⇄ ShadowsocksStream ⇄ (encrypted chunks) ⇄ transport ⇄ ss server ⇄ target
 *
 * Like v2ray's client it waits up to 100 ms for the first payload, so salt, header and payload leave in one
 * write and one packet (FramedStream's header wait).
 */
export class ShadowsocksStream extends FramedStream {
  constructor(inner: Duplex, opts: ShadowsocksStreamOptions) {
    super(inner, new ShadowsocksCodec(opts), undefined, opts.outbound);
  }
}
