import crypto from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FramedStream } from '../../../../core/protocol/common/framed-stream.js';
import { VmessCodec } from '../../../../core/protocol/vmess/codec.js';
import { ChunkAead, ChunkReader, ChunkWriter, ShakeMask } from '../../../../core/protocol/vmess/chunk.js';
import { ResponseHeaderReader } from '../../../../core/protocol/vmess/header.js';
import { kdf, kdf16 } from '../../../../core/protocol/vmess/kdf.js';
import { connectTcp } from '../../../../core/transport/tcp.js';
import type { ProxyError } from '../../../../core/adapter/errors.js';

/**
 * FramedStream reading a directReads socket (reads borrowed from a reused buffer, up to 1 MiB) through the
 * VMess codec, against a loopback server that answers as v2ray does: response header, then ~2 KiB chunks.
 */

const MiB = 1024 * 1024;
/** v2ray's server payload per chunk: buf.Size 2048 − tag − size − max padding. */
const SERVER_PAYLOAD = 2048 - 16 - 2 - 64;
const AUTH = 0x3c;

interface Session {
  key: Buffer;
  iv: Buffer;
}

function sealResponseHeader({ key, iv }: Session): Buffer {
  const seal = (k: Buffer, n: Buffer, data: Buffer) => {
    const c = crypto.createCipheriv('aes-128-gcm', k, n);
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  };
  const header = Buffer.from([AUTH, 0, 0, 0]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(header.length);
  return Buffer.concat([
    seal(kdf16(key, 'AEAD Resp Header Len Key'), kdf(iv, 'AEAD Resp Header Len IV').subarray(0, 12), len),
    seal(kdf16(key, 'AEAD Resp Header Key'), kdf(iv, 'AEAD Resp Header IV').subarray(0, 12), header),
  ]);
}

/** The whole response on the wire: header, `payload` in server-sized chunks (padded), the end chunk. */
function responseWire(session: Session, payload: Buffer, corruptChunk = -1): Buffer {
  const writer = new ChunkWriter(new ChunkAead('aes-128-gcm', session.key, session.iv), new ShakeMask(session.iv), true);
  const out: Buffer[] = [sealResponseHeader(session)];
  for (let off = 0, i = 0; off < payload.length; off += SERVER_PAYLOAD, i++) {
    const pieces: Buffer[] = [];
    writer.write(payload.subarray(off, off + SERVER_PAYLOAD), pieces);
    if (i === corruptChunk) pieces[1] = Buffer.from(pieces[1]!.map((b, j) => (j === 7 ? b ^ 1 : b)));
    out.push(...pieces);
  }
  writer.end(out);
  return Buffer.concat(out);
}

function clientCodec(session: Session): { codec: VmessCodec; borrowedDecodes: () => number } {
  const codec = new VmessCodec(
    new ChunkWriter(undefined, new ShakeMask(crypto.randomBytes(16)), false),
    new ResponseHeaderReader(session.key, session.iv, AUTH),
    new ChunkReader(new ChunkAead('aes-128-gcm', session.key, session.iv), new ShakeMask(session.iv), true),
    true,
  );
  let borrowed = 0;
  const decode = codec.decode.bind(codec);
  codec.decode = (data, push, isBorrowed) => {
    if (isBorrowed) borrowed++;
    return decode(data, push, isBorrowed);
  };
  return { codec, borrowedDecodes: () => borrowed };
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Answers the first bytes it receives with `wire`, written in `writes` pieces of uneven size. */
async function server(wire: Buffer, onWritten: () => void = () => {}): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.once('data', () => {
      // Uneven writes, so chunks straddle the client's reads at every kind of offset.
      const cuts = [1, 17, 33, 1000, 4099, 65_537, 300_001];
      let off = 0;
      for (let i = 0; off < wire.length; i++) {
        const n = cuts[i % cuts.length]!;
        s.write(wire.subarray(off, off + n));
        off += n;
      }
      s.end(onWritten);
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('FramedStream with VMess over borrowed reads', () => {
  it('hands on every byte intact, in order, from reads into a reused buffer', async () => {
    const session = { key: crypto.randomBytes(16), iv: crypto.randomBytes(16) };
    const payload = crypto.randomBytes(24 * MiB + 12_345);
    const port = await server(responseWire(session, payload));
    const { codec, borrowedDecodes } = clientCodec(session);
    const stream = new FramedStream(await connectTcp({ host: '127.0.0.1', port }, { directReads: true }), codec, Buffer.from('H'), 'test-out');
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    stream.write('x');
    await new Promise((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const all = Buffer.concat(got);
    expect(all.length).toBe(payload.length);
    expect(sha256(all)).toBe(sha256(payload));
    expect(borrowedDecodes()).toBeGreaterThan(0);
    stream.destroy();
  });

  it('holds borrowed reads back while the consumer is not reading, then delivers everything', async () => {
    const session = { key: crypto.randomBytes(16), iv: crypto.randomBytes(16) };
    const payload = crypto.randomBytes(32 * MiB);
    let serverDone = false;
    const port = await server(responseWire(session, payload), () => (serverDone = true));
    const { codec } = clientCodec(session);
    const stream = new FramedStream(await connectTcp({ host: '127.0.0.1', port }, { directReads: true }), codec, Buffer.from('H'), 'test-out');
    stream.write('go');
    await new Promise((r) => setTimeout(r, 300));
    expect(serverDone).toBe(false); // the stream stopped reading instead of buffering 32 MiB
    expect(stream.readableLength).toBeLessThan(4 * MiB);
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    await new Promise((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    expect(sha256(Buffer.concat(got))).toBe(sha256(payload));
    stream.destroy();
  });

  it('fails a chunk that does not authenticate with UPSTREAM_PROTOCOL, handing on only the chunks before it', async () => {
    const session = { key: crypto.randomBytes(16), iv: crypto.randomBytes(16) };
    const payload = crypto.randomBytes(4 * MiB);
    const bad = 1500;
    const port = await server(responseWire(session, payload, bad));
    const { codec } = clientCodec(session);
    const stream = new FramedStream(await connectTcp({ host: '127.0.0.1', port }, { directReads: true }), codec, Buffer.from('H'), 'test-out');
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    stream.write('x');
    const err = await new Promise<ProxyError>((resolve) => stream.once('error', resolve));
    expect(err.code).toBe('UPSTREAM_PROTOCOL');
    expect(err.outbound).toBe('test-out');
    const all = Buffer.concat(got);
    expect(all.length).toBeLessThanOrEqual(bad * SERVER_PAYLOAD);
    expect(all.equals(payload.subarray(0, all.length))).toBe(true);
  });
});
