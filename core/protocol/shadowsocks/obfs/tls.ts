import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ByteQueue } from '../../common/byte-queue.js';
import { FramedStream, type FramedFailure, type StreamCodec } from '../../common/framed-stream.js';
import { obfsFailure } from './errors.js';

/** simple-obfs refuses application-data records longer than this. */
export const MAX_RECORD_PAYLOAD = 16384;
/** Fixed sizes of the server's first flight: ServerHello record, ChangeCipherSpec record, handshake record header. */
const SERVER_HELLO_SIZE = 96;
const CHANGE_CIPHER_SPEC_SIZE = 6;
const RECORD_HEADER_SIZE = 5;

export interface ObfsTlsOptions {
  /** SNI in the fake ClientHello (plugin-opts.host). */
  host: string;
}

type ReadState = 'server-hello' | 'payload' | 'record-header';

/**
 * simple-obfs "tls" mode, a TLS 1.2 look-alike without any cryptography of its own:
 *   client first write  → ClientHello whose SessionTicket extension carries the bytes
 *   client later writes → application-data records (17 03 03, u16 length) of at most 16 KiB
 *   server first flight → ServerHello, ChangeCipherSpec, a handshake record carrying the first bytes,
 *                         then application-data records.
 */
export class ObfsTlsCodec implements StreamCodec {
  private readonly queue = new ByteQueue();
  private helloSent = false;
  private state: ReadState = 'server-hello';
  private remaining = 0;
  private received = false;

  constructor(private readonly opts: ObfsTlsOptions) {}

  get answered(): boolean {
    return this.received;
  }

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    let pieces = payload;
    if (!this.helloSent) {
      this.helloSent = true;
      const all = Buffer.concat(payload);
      const first = all.subarray(0, MAX_RECORD_PAYLOAD);
      out.push(clientHello(this.opts.host, first));
      pieces = all.length > first.length ? [all.subarray(first.length)] : [];
    }
    for (const piece of pieces) {
      for (let off = 0; off < piece.length; off += MAX_RECORD_PAYLOAD) {
        const part = piece.subarray(off, off + MAX_RECORD_PAYLOAD);
        out.push(recordHeader(0x17, part.length), part);
      }
    }
  }

  finish(): void {}

  decode(data: Buffer, push: (payload: Buffer) => void): boolean {
    this.queue.push(data);
    for (;;) {
      if (this.queue.length > 0) this.received = true;
      switch (this.state) {
        case 'server-hello': {
          const size = SERVER_HELLO_SIZE + CHANGE_CIPHER_SPEC_SIZE + RECORD_HEADER_SIZE;
          if (this.queue.length < size) return false;
          const flight = this.queue.takeContiguous(size);
          if (flight[0] !== 0x16 || flight[5] !== 0x02) throw new Error('server did not start with a ServerHello');
          if (flight[SERVER_HELLO_SIZE] !== 0x14) throw new Error('no ChangeCipherSpec after the ServerHello');
          if (flight[SERVER_HELLO_SIZE + CHANGE_CIPHER_SPEC_SIZE] !== 0x16) throw new Error('no handshake record after ChangeCipherSpec');
          this.remaining = flight.readUInt16BE(size - 2);
          this.state = this.remaining > 0 ? 'payload' : 'record-header';
          break;
        }
        case 'record-header': {
          if (this.queue.length < RECORD_HEADER_SIZE) return false;
          const header = this.queue.takeContiguous(RECORD_HEADER_SIZE);
          if (header[0] !== 0x17 || header[1] !== 0x03 || header[2] !== 0x03) {
            throw new Error(`expected an application-data record, got ${header.subarray(0, 3).toString('hex')}`);
          }
          this.remaining = header.readUInt16BE(3);
          if (this.remaining > MAX_RECORD_PAYLOAD) throw new Error(`record of ${this.remaining} bytes exceeds ${MAX_RECORD_PAYLOAD}`);
          this.state = this.remaining > 0 ? 'payload' : 'record-header';
          break;
        }
        case 'payload': {
          // Records carry no authentication of their own: pass bytes on as they come.
          if (this.queue.length === 0) return false; // records end with the connection, never in-band
          const n = Math.min(this.remaining, this.queue.length);
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'record-header';
          for (const piece of this.queue.take(n)) push(piece);
          break;
        }
      }
    }
  }

  failure(reason: FramedFailure): Error | undefined {
    // Nothing at all received: let the layer above judge the silence.
    const atBoundary = this.queue.length === 0 && (this.state === 'record-header' || (this.state === 'server-hello' && !this.received));
    return obfsFailure('tls', reason, atBoundary);
  }
}

/** obfs tls over `inner`; errors carry no outbound name, the Shadowsocks layer above attributes them. */
export class ObfsTlsStream extends FramedStream {
  constructor(inner: Duplex, opts: ObfsTlsOptions) {
    super(inner, new ObfsTlsCodec(opts), undefined, '');
  }
}

function recordHeader(type: number, length: number, version = 0x0303): Buffer {
  const h = Buffer.alloc(RECORD_HEADER_SIZE);
  h[0] = type;
  h.writeUInt16BE(version, 1);
  h.writeUInt16BE(length, 3);
  return h;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

/** Cipher suites, curves and signature algorithms as a 2017 browser offered them (simple-obfs's set). */
const CIPHER_SUITES = Buffer.from('c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff', 'hex');
const OTHER_EXTENSIONS = Buffer.from(
  [
    '000b000403010002', // ec_point_formats
    '000a000a0008001d001700190018', // supported_groups
    '000d0020001e060106020603050105020503040104020403030103020303020102020203', // signature_algorithms
    '00160000', // encrypt_then_mac
    '00170000', // extended_master_secret
  ].join(''),
  'hex',
);

/** The fake ClientHello: `data` rides in the SessionTicket extension, `host` in SNI. */
export function clientHello(host: string, data: Buffer): Buffer {
  const name = Buffer.from(host, 'latin1');
  const ticket = Buffer.concat([u16(0x0023), u16(data.length), data]);
  const sni = Buffer.concat([u16(0x0000), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), name]);
  const extensions = Buffer.concat([ticket, sni, OTHER_EXTENSIONS]);
  const random = crypto.randomBytes(32);
  random.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
  const body = Buffer.concat([
    u16(0x0303),
    random,
    Buffer.from([32]),
    crypto.randomBytes(32), // session id
    u16(CIPHER_SUITES.length),
    CIPHER_SUITES,
    Buffer.from([1, 0]), // compression: null
    u16(extensions.length),
    extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, 0x00]), u16(body.length), body]);
  return Buffer.concat([recordHeader(0x16, handshake.length, 0x0301), handshake]);
}
