import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { FramedDuplex, type FramedFailure } from '../framed-duplex.js';
import { obfsFailure } from './errors.js';

/** Longest server response head we wait for before calling it garbage. */
const MAX_RESPONSE_HEAD = 8 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export interface ObfsHttpOptions {
  /** Host header value (plugin-opts.host). */
  host: string;
  /** Server port; the Host header carries it unless it is 80, as simple-obfs does. */
  port: number;
}

/**
 * simple-obfs "http" mode: the first write goes out as the body of a WebSocket-upgrade GET, the server's
 * first bytes are a `101 Switching Protocols` head we drop; everything after flows unchanged both ways.
 */
export class ObfsHttpStream extends FramedDuplex {
  private requestSent = false;
  private head: Buffer | undefined = Buffer.alloc(0);
  private received = false;

  constructor(
    inner: Duplex,
    private readonly opts: ObfsHttpOptions,
  ) {
    super(inner);
  }

  protected encode(payload: Buffer[], out: Buffer[]): void {
    if (!this.requestSent) {
      this.requestSent = true;
      const length = payload.reduce((n, b) => n + b.length, 0);
      out.push(Buffer.from(requestHead(this.opts, length), 'latin1'));
    }
    out.push(...payload);
  }

  protected decode(emit: (pieces: Buffer[]) => boolean): boolean {
    if (this.queue.length === 0) return true;
    this.received = true;
    if (this.head) {
      const all = Buffer.concat([this.head, ...this.queue.take(this.queue.length)]);
      const end = all.indexOf(HEAD_END);
      if (end < 0) {
        if (all.length > MAX_RESPONSE_HEAD) throw new Error(`no end of the HTTP response head within ${MAX_RESPONSE_HEAD} bytes`);
        this.head = all;
        return true;
      }
      const status = all.subarray(0, all.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`server answered ${JSON.stringify(status.slice(0, 60))}, expected HTTP/1.1 101`);
      this.head = undefined;
      const rest = all.subarray(end + HEAD_END.length);
      if (rest.length > 0 && !emit([rest])) return false;
      return true;
    }
    return emit(this.queue.take(this.queue.length));
  }

  protected atFrameBoundary(): boolean {
    // Nothing at all received: let the layer above judge the silence.
    return !this.head || !this.received;
  }

  protected failure(reason: FramedFailure): Error {
    return obfsFailure('http', reason);
  }
}

function requestHead(opts: ObfsHttpOptions, contentLength: number): string {
  const host = opts.port === 80 ? opts.host : `${opts.host}:${opts.port}`;
  // Looks like a curl WebSocket upgrade, as simple-obfs clients send it.
  const ua = `curl/7.${crypto.randomInt(51)}.${crypto.randomInt(2)}`;
  const key = crypto.randomBytes(16).toString('base64');
  return (
    `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nContent-Length: ${contentLength}\r\n\r\n`
  );
}
