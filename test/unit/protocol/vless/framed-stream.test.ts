import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FramedStream, type StreamCodec } from '../../../../core/protocol/vless/framed-stream.js';
import { VlessCodec } from '../../../../core/protocol/vless/header.js';
import { TrojanCodec } from '../../../../core/protocol/trojan/header.js';
import { startVmessSession } from '../../../../core/protocol/vmess/codec.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { connectTcp } from '../../../../core/transport/tcp.js';

/** A loopback server whose behaviour each test scripts; records what it received. */
const servers: net.Server[] = [];
async function server(onConnection: (s: net.Socket, received: () => Buffer) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    onConnection(s, () => Buffer.concat(got));
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function framed(port: number, codec: StreamCodec, header: Buffer = Buffer.from('HEADER')): Promise<FramedStream> {
  return new FramedStream(await connectTcp({ host: '127.0.0.1', port }), codec, header, 'test-out');
}

/** Writes `data` while reading everything, and resolves with the error the stream then fails with. */
function failureAfterWriting(stream: FramedStream, data: string): Promise<ProxyError> {
  const failed = new Promise<ProxyError>((resolve) => stream.once('error', resolve));
  stream.resume();
  stream.write(data);
  return failed;
}

/** Writes `data` and collects every chunk the stream hands on until it ends; an error fails the test. */
async function chunksAfterWriting(stream: FramedStream, data: string): Promise<Buffer[]> {
  const got: Buffer[] = [];
  stream.on('data', (d: Buffer) => got.push(d));
  stream.write(data);
  await new Promise((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  return got;
}

describe('FramedStream', () => {
  it('puts the header in front of the first payload', async () => {
    let received!: () => Buffer;
    const port = await server((s, r) => {
      received = r;
      s.on('data', () => r().length >= 11 && s.end('ok'));
    });
    const stream = await framed(port, new TrojanCodec());
    stream.write('hello');
    const reply: Buffer[] = [];
    stream.on('data', (d: Buffer) => reply.push(d));
    await new Promise((r) => stream.once('end', r));
    expect(received().toString()).toBe('HEADERhello');
    expect(Buffer.concat(reply).toString()).toBe('ok');
  });

  it('sends the header on its own when the client says nothing (server speaks first)', async () => {
    let received!: () => Buffer;
    const port = await server((_s, r) => (received = r));
    const stream = await framed(port, new TrojanCodec());
    await new Promise((r) => setTimeout(r, 300));
    expect(received().toString()).toBe('HEADER');
    stream.destroy();
  });

  it('reports a close before any answer as UPSTREAM_AUTH_FAILED with the outbound name', async () => {
    const port = await server((s) => s.once('data', () => s.end()));
    const err = await failureAfterWriting(await framed(port, new VlessCodec()), 'GET / HTTP/1.1\r\n\r\n');
    expect(err.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(err.message).toBe('server closed the connection before answering — wrong uuid/password?');
    expect(err.outbound).toBe('test-out');
  });

  it('reports a reset before any answer as UPSTREAM_AUTH_FAILED too', async () => {
    const port = await server((s) => s.once('data', () => s.resetAndDestroy()));
    expect((await failureAfterWriting(await framed(port, new TrojanCodec()), 'x')).code).toBe('UPSTREAM_AUTH_FAILED');
  });

  it('ends normally when the server closes after answering', async () => {
    const port = await server((s) => s.once('data', () => s.end(Buffer.from([0, 0, 0x6f, 0x6b]))));
    const got = await chunksAfterWriting(await framed(port, new VlessCodec()), 'x');
    expect(Buffer.concat(got).toString()).toBe('ok');
  });

  it('fails a VMess response header that does not authenticate with UPSTREAM_AUTH_FAILED', async () => {
    const port = await server((s) => s.once('data', () => s.write(Buffer.alloc(64, 7))));
    const { header, codec } = startVmessSession(Buffer.alloc(16, 1), 'aes-128-gcm', { host: '127.0.0.1', port: 80 });
    const err = await failureAfterWriting(await framed(port, codec, header), 'x');
    expect(err.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(err.outbound).toBe('test-out');
  });

  it('hands on what one read decoded as one buffer, however many payloads the codec produced from it', async () => {
    const port = await server((s) => s.once('data', () => s.end(Buffer.alloc(48 * 1024, 'v'))));
    /** Every received byte is its own payload, like a read full of tiny chunks. */
    const bytewise: StreamCodec = {
      answered: true,
      encode: (payload, out) => out.push(...payload),
      finish: () => {},
      decode: (data, push) => {
        for (let i = 0; i < data.length; i++) push(data.subarray(i, i + 1));
        return false;
      },
    };
    const inner = await connectTcp({ host: '127.0.0.1', port });
    let reads = 0;
    inner.on('data', () => reads++);
    const got = await chunksAfterWriting(new FramedStream(inner, bytewise, Buffer.from('H'), 'test-out'), 'x');
    expect(Buffer.concat(got)).toEqual(Buffer.alloc(48 * 1024, 'v'));
    expect(got.length).toBe(reads);
  });

  it('holds reads back while the consumer is not reading (backpressure reaches the socket)', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 1);
    let serverDone = false;
    const port = await server((s) => s.once('data', () => s.write(big, () => (serverDone = true))));
    const stream = await framed(port, new TrojanCodec());
    stream.write('go');
    await new Promise((r) => setTimeout(r, 300));
    expect(serverDone).toBe(false); // nobody read: the stream paused its socket instead of buffering 32 MiB
    let n = 0;
    stream.on('data', (d: Buffer) => (n += d.length));
    await new Promise((r) => {
      const t = setInterval(() => n >= big.length && (clearInterval(t), r(undefined)), 10);
    });
    expect(n).toBe(big.length);
    stream.destroy();
  });
});
