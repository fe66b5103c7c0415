import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FramedStream, type StreamCodec } from '../../../../core/protocol/common/framed-stream.js';
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

  it("a codec's failure hook words its errors; for an end, undefined is a clean end even before any answer", async () => {
    /** Length-prefixed records (1 byte), like a framing whose end inside a record is an error of its own. */
    const recordCodec = (): StreamCodec => {
      let pending = Buffer.alloc(0);
      return {
        answered: false, // never: the default would call every end an auth failure
        encode: (payload, out) => out.push(...payload),
        finish: () => {},
        decode: (data, push) => {
          pending = Buffer.concat([pending, data]);
          while (pending.length > 0 && pending.length > pending[0]!) {
            push(pending.subarray(1, 1 + pending[0]!));
            pending = pending.subarray(1 + pending[0]!);
          }
          return false;
        },
        failure: (reason) =>
          reason.kind === 'end' ? (pending.length === 0 ? undefined : new ProxyError('UPSTREAM_CLOSED', 'ended inside a record')) : undefined,
      };
    };
    const whole = await server((s) => s.once('data', () => s.end(Buffer.from([2, 0x6f, 0x6b]))));
    const got = await chunksAfterWriting(await framed(whole, recordCodec()), 'x');
    expect(Buffer.concat(got).toString()).toBe('ok');

    const cut = await server((s) => s.once('data', () => s.end(Buffer.from([5, 0x6f]))));
    const err = await failureAfterWriting(await framed(cut, recordCodec()), 'x');
    expect(err).toMatchObject({ code: 'UPSTREAM_CLOSED', message: 'ended inside a record' });

    // Where the hook says nothing (a reset), the default wording stands, with the outbound name.
    const reset = await server((s) => s.once('data', () => s.resetAndDestroy()));
    expect(await failureAfterWriting(await framed(reset, recordCodec()), 'x')).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: 'test-out' });
  });

  it("a codec with its own header: encodeHeaderAlone only when no payload comes in time, or at the end", async () => {
    /** Puts "H:" inside the first frame, as Shadowsocks seals the address into the first chunk. */
    const ownHeader = (): StreamCodec & { alone: number } => {
      let first = true;
      const codec = {
        alone: 0,
        answered: true,
        encode: (payload: readonly Buffer[], out: Buffer[]) => {
          out.push(Buffer.from(`[${first ? 'H:' : ''}${Buffer.concat(payload).toString()}]`));
          first = false;
        },
        encodeHeaderAlone: (out: Buffer[]) => {
          codec.alone++;
          codec.encode([], out);
        },
        finish: () => {},
        decode: () => false,
      };
      return codec;
    };
    let received: (() => Buffer)[] = [];
    const port = await server((_s, r) => received.push(r));
    const connect = async (codec: StreamCodec) => new FramedStream(await connectTcp({ host: '127.0.0.1', port }), codec, undefined, 'test-out');

    const writer = ownHeader();
    const early = await connect(writer);
    early.write('a');
    await new Promise((r) => setTimeout(r, 250));
    expect(received[0]!().toString()).toBe('[H:a]');
    expect(writer.alone).toBe(0);
    early.destroy();

    received = [];
    const silent = ownHeader();
    const quiet = await connect(silent);
    await new Promise((r) => setTimeout(r, 250));
    expect(received[0]!().toString()).toBe('[H:]');
    expect(silent.alone).toBe(1);
    quiet.write('b'); // the header left already: later frames carry none
    await new Promise((r) => setTimeout(r, 50));
    expect(received[0]!().toString()).toBe('[H:][b]');
    quiet.destroy();

    received = [];
    const ender = ownHeader();
    const ending = await connect(ender);
    ending.resume();
    await new Promise<void>((r) => ending.end(r));
    await new Promise((r) => setTimeout(r, 50));
    expect(received[0]!().toString()).toBe('[H:]');
    expect(ender.alone).toBe(1);
    ending.destroy();
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
