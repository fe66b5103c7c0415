import crypto from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ObfsHttpStream } from '../../../../core/protocol/shadowsocks/obfs/http.js';
import { ObfsTlsStream, clientHello } from '../../../../core/protocol/shadowsocks/obfs/tls.js';
import { shadowsocksSchema } from '../../../../core/protocol/shadowsocks/index.js';

/** An in-memory pipe standing in for the transport: `fromServer` feeds our reads, `toServer` collects our writes. */
function pipe() {
  const fromServer = new PassThrough();
  const toServer = new PassThrough();
  const inner = Duplex.from({ readable: fromServer, writable: toServer });
  const written: Buffer[] = [];
  toServer.on('data', (d: Buffer) => written.push(d));
  return { inner, fromServer, written: () => Buffer.concat(written) };
}

function collect(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}

const tick = () => new Promise((r) => setImmediate(r));

/** The server's first flight as simple-obfs builds it (obfs_tls.c templates): ServerHello, CCS, handshake record. */
function serverFlight(firstData: Buffer): Buffer {
  const hello = Buffer.alloc(96);
  hello.write('160301005b020000570303', 0, 'hex');
  hello[43] = 32; // session id length
  hello.write('cca8', 76, 'hex');
  hello.write('ff01000100' + '00170000' + '000b00020100', 81, 'hex');
  const ccs = Buffer.from('140303000101', 'hex');
  const hs = Buffer.alloc(5);
  hs.write('160303', 0, 'hex');
  hs.writeUInt16BE(firstData.length, 3);
  return Buffer.concat([hello, ccs, hs, firstData]);
}

const appRecord = (data: Buffer) => {
  const h = Buffer.from('1703030000', 'hex');
  h.writeUInt16BE(data.length, 3);
  return Buffer.concat([h, data]);
};

describe('obfs tls', () => {
  it('the ClientHello passes obfs-server check_tls_request and carries the data in the SessionTicket', () => {
    const data = crypto.randomBytes(300);
    const hello = clientHello('www.example.com', data);
    // simple-obfs check_tls_request: 0x16 0x03 0x01 at 0-2, handshake type 1 at 5, version 03 03 at 9-10.
    expect([hello[0], hello[1], hello[2], hello[5], hello[9], hello[10]]).toEqual([0x16, 0x03, 0x01, 0x01, 0x03, 0x03]);
    expect(hello.readUInt16BE(3)).toBe(hello.length - 5);
    expect(hello.readUInt16BE(7)).toBe(hello.length - 9);
    // Fixed-size struct tls_client_hello is 138 bytes; the SessionTicket extension must come first after it.
    expect(hello[43]).toBe(32);
    expect(hello.readUInt16BE(76)).toBe(56);
    expect(hello.readUInt16BE(136)).toBe(hello.length - 138);
    expect(hello.readUInt16BE(138)).toBe(0x0023);
    expect(hello.readUInt16BE(140)).toBe(300);
    expect(hello.subarray(142, 442).equals(data)).toBe(true);
    // SNI next
    expect(hello.readUInt16BE(442)).toBe(0x0000);
    expect(hello.subarray(451, 451 + 15).toString()).toBe('www.example.com');
  });

  it('frames later writes as application-data records of at most 16 KiB', async () => {
    const p = pipe();
    const s = new ObfsTlsStream(p.inner, { host: 'h' });
    s.write(Buffer.from('first'));
    await tick();
    const helloLength = p.written().length;
    const big = crypto.randomBytes(40_000);
    s.write(big);
    await tick();
    const records = p.written().subarray(helloLength);
    const sizes: number[] = [];
    const payload: Buffer[] = [];
    for (let off = 0; off < records.length; ) {
      expect(records.subarray(off, off + 3).toString('hex')).toBe('170303');
      const n = records.readUInt16BE(off + 3);
      sizes.push(n);
      payload.push(records.subarray(off + 5, off + 5 + n));
      off += 5 + n;
    }
    expect(sizes).toEqual([16384, 16384, 40_000 - 32768]);
    expect(Buffer.concat(payload).equals(big)).toBe(true);
    s.destroy();
  });

  it('reads the server flight and records whatever way the bytes are split', async () => {
    const a = crypto.randomBytes(50);
    const b = crypto.randomBytes(20_000 - 16384);
    const c = crypto.randomBytes(16384);
    const wire = Buffer.concat([serverFlight(a), appRecord(c), appRecord(b)]);
    for (const cut of [1, 5, 96, 101, 102, 106, 107, 120, 157, 158, 160, 162, 16000]) {
      const p = pipe();
      const s = new ObfsTlsStream(p.inner, { host: 'h' });
      const got = collect(s);
      p.fromServer.write(wire.subarray(0, cut));
      await tick();
      p.fromServer.end(wire.subarray(cut));
      expect((await got).equals(Buffer.concat([a, c, b])), `cut at ${cut}`).toBe(true);
    }
  });

  it('refuses a server that does not answer with a ServerHello', async () => {
    const p = pipe();
    const s = new ObfsTlsStream(p.inner, { host: 'h' });
    const got = collect(s);
    p.fromServer.write(Buffer.concat([Buffer.from('HTTP/1.1 400 Bad Request\r\n'), Buffer.alloc(100)]));
    await expect(got).rejects.toMatchObject({ code: 'UPSTREAM_PROTOCOL' });
  });

  it('an end inside a record is UPSTREAM_CLOSED; an end before any byte is left to the layer above', async () => {
    const p = pipe();
    const s = new ObfsTlsStream(p.inner, { host: 'h' });
    const got = collect(s);
    p.fromServer.end(serverFlight(Buffer.alloc(10)).subarray(0, 110));
    await expect(got).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
    const q = pipe();
    const silent = collect(new ObfsTlsStream(q.inner, { host: 'h' }));
    q.fromServer.end();
    expect((await silent).length).toBe(0);
  });
});

describe('obfs http', () => {
  it('sends the first write as the body of a WebSocket-upgrade GET, later writes raw', async () => {
    const p = pipe();
    const s = new ObfsHttpStream(p.inner, { host: 'cdn.example', port: 8388 });
    s.write(Buffer.from('header-bytes'));
    await tick();
    s.write(Buffer.from('more'));
    await tick();
    const text = p.written().toString('latin1');
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('GET / HTTP/1.1');
    expect(lines).toContain('Host: cdn.example:8388');
    expect(lines).toContain('Upgrade: websocket');
    expect(lines).toContain('Connection: Upgrade');
    expect(lines).toContain('Content-Length: 12');
    expect(lines.find((l) => l.startsWith('Sec-WebSocket-Key: '))).toMatch(/^Sec-WebSocket-Key: [A-Za-z0-9+/]{22}==$/);
    expect(body).toBe('header-bytesmore');
    s.destroy();
  });

  it('drops the 101 head, split anywhere, and passes the rest through', async () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.4.2\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    const wire = Buffer.concat([Buffer.from(head), Buffer.from('payload after the head')]);
    for (let cut = 0; cut <= wire.length; cut += 7) {
      const p = pipe();
      const s = new ObfsHttpStream(p.inner, { host: 'h', port: 80 });
      const got = collect(s);
      p.fromServer.write(wire.subarray(0, cut));
      await tick();
      p.fromServer.end(wire.subarray(cut));
      expect((await got).toString(), `cut at ${cut}`).toBe('payload after the head');
    }
  });

  it('refuses an answer other than 101', async () => {
    const p = pipe();
    const got = collect(new ObfsHttpStream(p.inner, { host: 'h', port: 80 }));
    p.fromServer.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    await expect(got).rejects.toMatchObject({ code: 'UPSTREAM_PROTOCOL', message: expect.stringMatching(/expected HTTP\/1\.1 101/) });
  });
});

describe('obfs plugin options', () => {
  const base = { name: 'o', type: 'ss', server: 'h', port: 1, cipher: 'aes-128-gcm', password: 'p', plugin: 'obfs' };
  const issues = (input: unknown) => {
    const r = shadowsocksSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };

  it('accepts mode http or tls with an optional host', () => {
    expect(issues({ ...base, 'plugin-opts': { mode: 'tls', host: 'bing.com' } })).toEqual([]);
    expect(issues({ ...base, 'plugin-opts': { mode: 'http' } })).toEqual([]);
  });

  it('names plugin-opts.mode when it is missing or unknown', () => {
    expect(issues({ ...base, 'plugin-opts': { mode: 'websocket' } })).toEqual([{ path: 'plugin-opts.mode', message: 'expected one of http, tls, got "websocket"' }]);
    expect(issues({ ...base, 'plugin-opts': {} })).toEqual([{ path: 'plugin-opts.mode', message: 'expected one of http, tls, got nothing' }]);
    expect(issues({ ...base })).toEqual([{ path: 'plugin-opts', message: 'expected a mapping with mode (http or tls) and host, got nothing' }]);
  });
});
