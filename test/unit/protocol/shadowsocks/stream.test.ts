import crypto from 'node:crypto';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RequestEncoder, ResponseDecoder, type FramingOptions } from '../../../../core/protocol/shadowsocks/framing.js';
import { aeadSubkey, evpBytesToKey } from '../../../../core/protocol/shadowsocks/keys.js';
import { findMethod } from '../../../../core/protocol/shadowsocks/methods.js';
import { ShadowsocksStream } from '../../../../core/protocol/shadowsocks/stream.js';

const method = findMethod('aes-128-gcm')!;
const key = evpBytesToKey('test-password', 16);
const SALT = Buffer.alloc(16, 0x5a);
/** Every request salt is SALT, so two encoders produce the same bytes. */
const opts: FramingOptions = { method, key, randomBytes: (n) => Buffer.alloc(n, 0x5a) };
const target = { host: 'example.com', port: 443 };

/** The transport below: records each write as it was made, and lets the test play the server. */
class RecordingPipe extends Duplex {
  readonly writes: Buffer[] = [];
  ended = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.writes.push(Buffer.from(chunk));
    cb();
  }
  override _final(cb: () => void): void {
    this.ended = true;
    cb();
  }
  override _read(): void {}
}

function open(): { pipe: RecordingPipe; stream: ShadowsocksStream } {
  const pipe = new RecordingPipe();
  const encoder = new RequestEncoder(opts);
  encoder.begin(target);
  const stream = new ShadowsocksStream(pipe, { encoder, decoder: new ResponseDecoder(opts), outbound: 'ss-test', server: '127.0.0.1:1' });
  return { pipe, stream };
}

/** The request stream's chunks opened with node:crypto directly: each chunk's plaintext, in order. */
function openChunks(wire: Buffer): Buffer[] {
  expect(wire.subarray(0, 16)).toEqual(SALT);
  const subkey = aeadSubkey(key, SALT);
  let n = 0n;
  const openSealed = (sealed: Buffer) => {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64LE(n++);
    const d = crypto.createDecipheriv('aes-128-gcm', subkey, nonce);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  };
  const chunks: Buffer[] = [];
  for (let off = 16; off < wire.length; ) {
    const length = openSealed(wire.subarray(off, off + 18)).readUInt16BE(0);
    chunks.push(openSealed(wire.subarray(off + 18, off + 18 + length + 16)));
    off += 18 + length + 16;
  }
  return chunks;
}

/** SOCKS5 form of `target`: ATYP 3, length, name, port. */
const ADDRESS = Buffer.concat([Buffer.from([3, 11]), Buffer.from('example.com'), Buffer.from([0x01, 0xbb])]);

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ShadowsocksStream request side', () => {
  it('sends salt, target address and first payload in one write, address and payload in one chunk', async () => {
    const { pipe, stream } = open();
    await new Promise<void>((r) => stream.write('hello', () => r()));
    expect(pipe.writes).toHaveLength(1);
    expect(openChunks(pipe.writes[0]!)).toEqual([Buffer.concat([ADDRESS, Buffer.from('hello')])]);
    await new Promise<void>((r) => stream.write('again', () => r()));
    expect(pipe.writes).toHaveLength(2);
    expect(openChunks(Buffer.concat(pipe.writes))).toEqual([Buffer.concat([ADDRESS, Buffer.from('hello')]), Buffer.from('again')]);
    stream.destroy();
  });

  it('sends the header alone when the client says nothing for a while (server speaks first)', async () => {
    const { pipe, stream } = open();
    await tick(30);
    expect(pipe.writes).toHaveLength(0);
    await tick(150);
    expect(pipe.writes).toHaveLength(1);
    expect(openChunks(pipe.writes[0]!)).toEqual([ADDRESS]);
    stream.destroy();
  });

  it('an end without payload still sends the header, before the end', async () => {
    const { pipe, stream } = open();
    stream.resume();
    stream.end();
    await new Promise((r) => stream.once('finish', r));
    expect(pipe.writes).toHaveLength(1);
    expect(openChunks(pipe.writes[0]!)).toEqual([ADDRESS]);
    expect(pipe.ended).toBe(true);
    stream.destroy();
  });

  it('a stream destroyed before its first write never sends the header', async () => {
    const { pipe, stream } = open();
    stream.destroy();
    await tick(150);
    expect(pipe.writes).toHaveLength(0);
  });
});

describe('ShadowsocksStream response side', () => {
  /** A server's response stream: salt, then each payload as a sealed length and a sealed payload. */
  function response(payloads: Buffer[]): Buffer {
    const salt = crypto.randomBytes(16);
    const subkey = aeadSubkey(key, salt);
    let n = 0n;
    const seal = (plain: Buffer) => {
      const nonce = Buffer.alloc(12);
      nonce.writeBigUInt64LE(n++);
      const c = crypto.createCipheriv('aes-128-gcm', subkey, nonce);
      return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    };
    const out = [salt];
    for (const p of payloads) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(p.length);
      out.push(seal(len), seal(p));
    }
    return Buffer.concat(out);
  }

  it('hands on the chunks that arrived together as one buffer', async () => {
    const { pipe, stream } = open();
    const payloads = Array.from({ length: 30 }, (_, i) => Buffer.alloc(1000, i));
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    pipe.push(response(payloads));
    await tick(10);
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(Buffer.concat(payloads));
    stream.destroy();
  });

  it('hands on what each arrival completes as one buffer, chunks split across arrivals included, in order', async () => {
    const { pipe, stream } = open();
    const payloads = Array.from({ length: 12 }, (_, i) => Buffer.alloc(0x3fff, i)); // 192 KiB
    const wire = response(payloads);
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    // Cut inside the 3rd, 7th and 12th chunks (each 2 + 16 + 0x3fff + 16 bytes on the wire).
    const cuts = [0, 16 + 2.5 * 16417, 16 + 6.2 * 16417, 16 + 11.9 * 16417, wire.length].map(Math.floor);
    for (let i = 1; i < cuts.length; i++) {
      pipe.push(wire.subarray(cuts[i - 1], cuts[i]));
      await tick(5);
    }
    expect(got.map((g) => g.length / 0x3fff)).toEqual([2, 4, 5, 1]);
    expect(Buffer.concat(got)).toEqual(Buffer.concat(payloads));
    stream.destroy();
  });
});
