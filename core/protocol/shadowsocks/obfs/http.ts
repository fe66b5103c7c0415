import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { FramedStream, type FramedFailure, type StreamCodec } from '../../common/framed-stream.js';
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
export class ObfsHttpCodec implements StreamCodec {
  private requestSent = false;
  /** The response head received so far; undefined once it has been read. */
  private head: Buffer | undefined = Buffer.alloc(0);
  private received = false;

  constructor(private readonly opts: ObfsHttpOptions) {}

  get answered(): boolean {
    return this.received;
  }

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    if (!this.requestSent) {
      this.requestSent = true;
      const length = payload.reduce((n, b) => n + b.length, 0);
      out.push(Buffer.from(requestHead(this.opts, length), 'latin1'));
    }
    out.push(...payload);
  }

  finish(): void {}

  decode(data: Buffer, push: (payload: Buffer) => void): boolean {
    if (data.length === 0) return false;
    this.received = true;
    if (!this.head) {
      push(data);
      return false;
    }
    const all = Buffer.concat([this.head, data]);
    const end = all.indexOf(HEAD_END);
    if (end < 0) {
      if (all.length > MAX_RESPONSE_HEAD) throw new Error(`no end of the HTTP response head within ${MAX_RESPONSE_HEAD} bytes`);
      this.head = all;
      return false;
    }
    const status = all.subarray(0, all.indexOf('\r\n')).toString('latin1');
    if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`server answered ${JSON.stringify(status.slice(0, 60))}, expected HTTP/1.1 101`);
    this.head = undefined;
    const rest = all.subarray(end + HEAD_END.length);
    if (rest.length > 0) push(rest);
    return false;
  }

  failure(reason: FramedFailure): Error | undefined {
    // An end inside the head is an error; nothing at all received: let the layer above judge the silence.
    return obfsFailure('http', reason, !this.head || !this.received);
  }
}

/** obfs http over `inner`; errors carry no outbound name, the Shadowsocks layer above attributes them. */
export class ObfsHttpStream extends FramedStream {
  constructor(inner: Duplex, opts: ObfsHttpOptions) {
    super(inner, new ObfsHttpCodec(opts), undefined, '');
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
