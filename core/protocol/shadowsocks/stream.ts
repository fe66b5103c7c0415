import type { Duplex } from 'node:stream';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';
import { FramedDuplex, type FramedFailure } from './framed-duplex.js';
import { FrameError, type RequestEncoder, type ResponseDecoder } from './framing.js';

/**
 * Like v2ray's Shadowsocks client: wait this long for the first payload so salt, header and payload leave
 * in one write and one packet; the header goes alone when the client says nothing (server speaks first).
 */
const FIRST_PAYLOAD_WAIT_MS = 100;

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
 * The plaintext side of a Shadowsocks connection over any byte pipe (tcp, tls, ws, obfs):
 *
 *   caller ⇄ ShadowsocksStream ⇄ (encrypted chunks) ⇄ transport ⇄ ss server ⇄ target
 *
 * SS has no server handshake, so a wrong key shows up only as the server closing or sending garbage: an end
 * before any chunk authenticated, or a first chunk that fails authentication, becomes UPSTREAM_AUTH_FAILED.
 */
export class ShadowsocksStream extends FramedDuplex {
  private readonly opts: ShadowsocksStreamOptions;

  constructor(inner: Duplex, opts: ShadowsocksStreamOptions) {
    super(inner);
    this.opts = opts;
    this.sendHeaderWithin(FIRST_PAYLOAD_WAIT_MS);
  }

  protected encode(payload: Buffer[], out: Buffer[]): void {
    this.opts.encoder.encode(payload, out);
  }

  protected decode(emit: (pieces: Buffer[]) => boolean): boolean {
    return this.opts.decoder.decode(this.queue, emit);
  }

  protected atFrameBoundary(): boolean {
    return this.opts.decoder.atChunkBoundary(this.queue);
  }

  protected failure(reason: FramedFailure): ProxyError {
    const server = `shadowsocks server ${this.opts.server}`;
    const authenticated = this.opts.decoder.authenticated;
    switch (reason.kind) {
      case 'decode': {
        const err = reason.error;
        if (!(err instanceof FrameError)) return this.error('INTERNAL', `shadowsocks decode: ${(err as Error).message}`, err);
        if (err.reason === 'auth' && !authenticated) return this.authFailure(`${server}: ${err.message}`, err);
        return this.error('UPSTREAM_PROTOCOL', `${server}: ${err.message}`, err);
      }
      case 'eof-mid-frame':
        return authenticated
          ? this.error('UPSTREAM_CLOSED', `${server} closed the connection in the middle of a chunk`)
          : // The server may also just have had nothing to say (target refused or answered nothing).
            this.authFailure(`${server} closed the connection without sending a valid chunk`, undefined, 'or the target closed without answering');
      case 'closed':
        return authenticated
          ? this.error('UPSTREAM_CLOSED', `${server} connection closed`)
          : this.authFailure(`${server} connection closed before a valid chunk arrived`);
      case 'socket': {
        const err = reason.error;
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
