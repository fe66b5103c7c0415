import { describe, expect, it } from 'vitest';
import { createHttpProxy, type HttpProxyConfig } from '../../../../core/protocol/http/index.js';
import type { Destination } from '../../../../core/adapter/outbound.js';
import { dialContext } from '../../../integration/protocol/http/dial-context.js';
import { useScriptedServers, type Conversation, type ScriptedServer } from '../../../helpers/scripted-server.js';
import { dialFailure, expectDialLeavesNothingBehind, firstBytes } from '../../../helpers/dial-checks.js';
import { waitUntil } from '../../../helpers/wait.js';

const OK = 'HTTP/1.1 200 Connection established\r\n\r\n';

const serve = useScriptedServers();

/** Answers the CONNECT head with `answer` (written as given, so tests control every byte). */
const answering = (answer: string | Buffer) => async (c: Conversation) => {
  await c.readUntil('\r\n\r\n');
  c.socket.write(answer);
};

type Extra = Partial<Pick<HttpProxyConfig, 'username' | 'password' | 'headers'>> & { timeoutMs?: number };
function outboundTo(server: ScriptedServer, extra: Extra = {}) {
  const { timeoutMs, ...rest } = extra;
  return createHttpProxy({ name: 'hp', type: 'http', server: '127.0.0.1', port: server.port, ...rest }, { timeoutMs });
}

const dest: Destination = { host: 'example.test', port: 443 };
const dialFails = (server: ScriptedServer, extra: Extra = {}, signal?: AbortSignal) => dialFailure(outboundTo(server, extra).dial(dest, dialContext(dest, signal)));

describe('http CONNECT request', () => {
  it('sends the request line, Host, Basic credentials and extra headers, and no Connection: close', async () => {
    let head = '';
    const server = await serve(async (c) => {
      head = (await c.readUntil('\r\n\r\n')).toString('latin1');
      c.socket.write(OK);
    });
    const stream = await outboundTo(server, { username: 'ann', password: 'pa:ss', headers: { 'X-Trace': 'abc' } }).dial(dest, dialContext(dest));
    stream.destroy();
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('CONNECT example.test:443 HTTP/1.1');
    expect(lines).toContain('Host: example.test:443');
    expect(lines).toContain(`Proxy-Authorization: Basic ${Buffer.from('ann:pa:ss').toString('base64')}`);
    expect(lines).toContain('X-Trace: abc');
    expect(head.toLowerCase()).not.toContain('connection:');
  });

  it('brackets an IPv6 destination', async () => {
    let head = '';
    const server = await serve(async (c) => {
      head = (await c.readUntil('\r\n\r\n')).toString('latin1');
      c.socket.write(OK);
    });
    const v6 = { host: '2001:db8::1', port: 8443 };
    (await outboundTo(server).dial(v6, dialContext(v6))).destroy();
    expect(head.startsWith('CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n')).toBe(true);
    expect(head).toContain('Host: [2001:db8::1]:8443\r\n');
  });

  it('sends no Proxy-Authorization without credentials', async () => {
    let head = '';
    const server = await serve(async (c) => {
      head = (await c.readUntil('\r\n\r\n')).toString('latin1');
      c.socket.write(OK);
    });
    (await outboundTo(server).dial(dest, dialContext(dest))).destroy();
    expect(head.toLowerCase()).not.toContain('proxy-authorization');
  });
});

describe('http CONNECT answers', () => {
  it('hands bytes sent right after the response head to the caller, even when it reads late', async () => {
    const server = await serve(answering(`HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\nSSH-2.0-early\r\n`));
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    await new Promise((r) => setTimeout(r, 50));
    expect(await firstBytes(stream, 15)).toBe('SSH-2.0-early\r\n');
  });

  it('accepts a response head delivered a few bytes at a time', async () => {
    const server = await serve(async (c) => {
      await c.readUntil('\r\n\r\n');
      const all = Buffer.from(`${OK}after`);
      for (let i = 0; i < all.length; i += 3) {
        c.socket.write(all.subarray(i, i + 3));
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    expect(await firstBytes(stream, 5)).toBe('after');
  });

  it('carries payload both ways after a 200', async () => {
    const server = await serve(async (c) => {
      await c.readUntil('\r\n\r\n');
      c.socket.write(OK);
      const ping = await c.read(4);
      c.socket.write(Buffer.concat([Buffer.from('echo:'), ping]));
    });
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    stream.write('ping');
    expect(await firstBytes(stream, 9)).toBe('echo:ping');
  });

  it.each([
    [407, 'UPSTREAM_AUTH_FAILED'],
    [401, 'UPSTREAM_AUTH_FAILED'],
    [403, 'UPSTREAM_REFUSED'],
    [502, 'UPSTREAM_REFUSED'],
    [503, 'UPSTREAM_REFUSED'],
    [504, 'UPSTREAM_REFUSED'],
  ])('maps HTTP %i to %s with the status in the message', async (status, code) => {
    const server = await serve(answering(`HTTP/1.1 ${status} Nope\r\nContent-Length: 4\r\n\r\nnope`));
    const err = await dialFails(server, { username: 'ann', password: 'top-secret-pw' });
    expect(err).toMatchObject({ code, outbound: 'hp' });
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).not.toContain('top-secret-pw');
  });
});

describe('http bad upstreams', () => {
  it('reports garbage as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(answering(Buffer.from([5, 0, 0xff, 0x13, 0x37, 13, 10, 13, 10])));
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL', outbound: 'hp' });
  });

  it('reports a response head over the 16 KiB cap as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(answering(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL' });
  });

  it.each([
    ['before answering', ''],
    ['in the middle of the response head', 'HTTP/1.1 200 Connection est'],
  ])('reports a proxy that closes %s as UPSTREAM_CLOSED', async (_when, partial) => {
    const server = await serve(async (c) => {
      await c.readUntil('\r\n\r\n');
      c.socket.end(partial);
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_CLOSED', outbound: 'hp' });
  });

  it('gives up on a proxy that never answers with TIMEOUT after timeoutMs', async () => {
    const server = await serve(() => {});
    const started = Date.now();
    expect(await dialFails(server, { timeoutMs: 200 })).toMatchObject({ code: 'TIMEOUT', outbound: 'hp' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops with ABORTED when the signal fires while waiting, and closes the connection', async () => {
    const server = await serve(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await dialFails(server, {}, ac.signal)).toMatchObject({ code: 'ABORTED', outbound: 'hp' });
    await waitUntil(() => server.conversations[0]?.socket.closed === true, 2000);
  });
});

describe('http dial leaves nothing behind', () => {
  it('returns a stream with no extra listeners and no pending timers', async () => {
    const server = await serve(answering(OK));
    await expectDialLeavesNothingBehind(server.port, ['data', 'readable', 'end', 'close', 'error', 'drain', 'timeout'], (signal) =>
      outboundTo(server).dial(dest, dialContext(dest, signal)),
    );
  });
});
