import { describe, expect, it } from 'vitest';
import { createSocks5 } from '../../../../core/protocol/socks5/index.js';
import type { Destination } from '../../../../core/adapter/outbound.js';
import { dialContext } from '../../../integration/protocol/http/dial-context.js';
import { useScriptedServers, type Conversation, type ScriptedServer } from '../../../helpers/scripted-server.js';
import { dialFailure, expectDialLeavesNothingBehind, firstBytes } from '../../../helpers/dial-checks.js';
import { waitUntil } from '../../../helpers/wait.js';

const SUCCESS_IPV4 = Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]);

/** Plays a well-behaved no-auth server up to the request, then lets `reply` answer it. */
async function greetNoAuth(c: Conversation): Promise<Buffer> {
  const [, n] = await c.read(2);
  await c.read(n!);
  c.socket.write(Buffer.from([5, 0]));
  const head = await c.read(4);
  const atyp = head[3];
  let addr: Buffer;
  if (atyp === 1) addr = await c.read(4);
  else if (atyp === 4) addr = await c.read(16);
  else {
    const len = await c.read(1);
    addr = Buffer.concat([len, await c.read(len[0]!)]);
  }
  const port = await c.read(2);
  return Buffer.concat([head, addr, port]);
}

const serve = useScriptedServers();

function outboundTo(server: ScriptedServer, extra: { username?: string; password?: string; timeoutMs?: number } = {}) {
  const { timeoutMs, ...creds } = extra;
  return createSocks5({ name: 'up', type: 'socks5', server: '127.0.0.1', port: server.port, ...creds }, { timeoutMs });
}

const dest: Destination = { host: 'example.test', port: 8080 };
const dialFails = (server: ScriptedServer, extra: Parameters<typeof outboundTo>[1] = {}, d = dest, signal?: AbortSignal) =>
  dialFailure(outboundTo(server, extra).dial(d, dialContext(d, signal)));

describe('socks5 request encoding', () => {
  it.each([
    ['a domain name, sent for remote DNS', 'example.test', Buffer.from([5, 1, 0, 3, 12, ...Buffer.from('example.test'), 0x1f, 0x90])],
    ['an IPv4 literal', '10.1.2.3', Buffer.from([5, 1, 0, 1, 10, 1, 2, 3, 0x1f, 0x90])],
    ['an IPv6 literal', '2001:db8::1', Buffer.from([5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1, 0x1f, 0x90])],
  ])('sends %s as the server expects', async (_what, host, expected) => {
    let request: Buffer | undefined;
    const server = await serve(async (c) => {
      request = await greetNoAuth(c);
      c.socket.write(SUCCESS_IPV4);
    });
    const stream = await outboundTo(server).dial({ host, port: 8080 }, dialContext({ host, port: 8080 }));
    stream.destroy();
    expect(request).toEqual(expected);
  });

  it('offers no-auth only without credentials, and no-auth plus username/password with them', async () => {
    const server = await serve(async (c) => {
      const [, n] = await c.read(2);
      await c.read(n!);
      c.socket.destroy();
    });
    await dialFails(server);
    await dialFails(server, { username: 'u', password: 'p' });
    expect(server.conversations[0]!.received()).toEqual(Buffer.from([5, 1, 0]));
    expect(server.conversations[1]!.received()).toEqual(Buffer.from([5, 2, 0, 2]));
  });

  it('sends RFC 1929 username/password when the server picks it', async () => {
    let auth: Buffer | undefined;
    const server = await serve(async (c) => {
      await c.read(4);
      c.socket.write(Buffer.from([5, 2]));
      const [, ulen] = await c.read(2);
      const user = await c.read(ulen!);
      const [plen] = await c.read(1);
      auth = Buffer.concat([Buffer.from([1, ulen!]), user, Buffer.from([plen!]), await c.read(plen!)]);
      c.socket.write(Buffer.from([1, 0]));
      await greetRequestOnly(c);
      c.socket.write(SUCCESS_IPV4);
    });
    const stream = await outboundTo(server, { username: 'üser', password: 'pässword' }).dial(dest, dialContext(dest));
    stream.destroy();
    const user = Buffer.from('üser');
    const pass = Buffer.from('pässword');
    expect(auth).toEqual(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
  });
});

async function greetRequestOnly(c: Conversation): Promise<void> {
  const head = await c.read(4);
  if (head[3] === 3) await c.read((await c.read(1))[0]! + 2);
  else await c.read(head[3] === 1 ? 6 : 18);
}

describe('socks5 replies', () => {
  it.each([
    [0x05, 'CONNECTION_REFUSED'],
    [0x04, 'HOST_UNREACHABLE'],
    [0x03, 'HOST_UNREACHABLE'],
    [0x02, 'UPSTREAM_REFUSED'],
    [0x01, 'UPSTREAM_REFUSED'],
    [0x07, 'UPSTREAM_REFUSED'],
  ])('maps reply 0x%s to %s', async (reply, code) => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(Buffer.from([5, reply, 0, 1, 0, 0, 0, 0, 0, 0]));
    });
    const err = await dialFails(server);
    expect(err).toMatchObject({ code, outbound: 'up' });
    expect(err.message).toContain(`0x0${reply}`);
  });

  it('judges a short failure reply (VER REP, then close) by its reply code', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.end(Buffer.from([5, 4]));
    });
    expect(await dialFails(server)).toMatchObject({ code: 'HOST_UNREACHABLE' });
  });

  it('consumes a domain-name bound address and keeps the bytes after it', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(Buffer.concat([Buffer.from([5, 0, 0, 3, 4]), Buffer.from('host'), Buffer.from([0, 80]), Buffer.from('BANNER')]));
    });
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    expect(await firstBytes(stream, 6)).toBe('BANNER');
  });

  it('accepts a reply delivered one byte at a time', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      for (const b of SUCCESS_IPV4) {
        c.socket.write(Buffer.from([b]));
        await new Promise((r) => setTimeout(r, 2));
      }
      c.socket.write('after');
    });
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    expect(await firstBytes(stream, 5)).toBe('after');
  });

  it('hands over server-first bytes that arrived with the reply, even to a reader attached late', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(Buffer.concat([SUCCESS_IPV4, Buffer.from('SSH-2.0-test\r\n')]));
    });
    const stream = await outboundTo(server).dial(dest, dialContext(dest));
    // The caller answers its own client before relaying; nothing may be lost meanwhile.
    await new Promise((r) => setTimeout(r, 50));
    expect(await firstBytes(stream, 14)).toBe('SSH-2.0-test\r\n');
  });
});

describe('socks5 bad upstreams', () => {
  it('reports garbage instead of a method choice as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(async (c) => {
      await c.read(3);
      c.socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL', outbound: 'up' });
  });

  it('reports a bad reply version as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(Buffer.from([4, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL' });
  });

  it('reports an unknown bound address type as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(Buffer.from([5, 0, 0, 9, 0, 0, 0, 0, 0, 0]));
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL' });
  });

  it('reports a method we did not offer as UPSTREAM_PROTOCOL', async () => {
    const server = await serve(async (c) => {
      await c.read(3);
      c.socket.write(Buffer.from([5, 2]));
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_PROTOCOL' });
  });

  it('reports "no acceptable methods" (0xFF) as UPSTREAM_AUTH_FAILED', async () => {
    const server = await serve(async (c) => {
      await c.read(3);
      c.socket.write(Buffer.from([5, 0xff]));
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
  });

  it('reports a rejected password as UPSTREAM_AUTH_FAILED and keeps it out of the message', async () => {
    const server = await serve(async (c) => {
      await c.read(4);
      c.socket.write(Buffer.from([5, 2]));
      const [, ulen] = await c.read(2);
      await c.read(ulen!);
      const [plen] = await c.read(1);
      await c.read(plen!);
      c.socket.write(Buffer.from([1, 1]));
    });
    const err = await dialFails(server, { username: 'someone', password: 'hunter2-secret' });
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: 'up' });
    expect(err.message).not.toContain('hunter2-secret');
  });

  it.each([
    [
      'before the method choice',
      async (c: Conversation) => {
        await c.read(3);
      },
    ],
    [
      'after the method choice',
      async (c: Conversation) => {
        await c.read(3);
        c.socket.write(Buffer.from([5, 0]));
        await c.read(4);
      },
    ],
    [
      'in the middle of the reply',
      async (c: Conversation) => {
        await greetNoAuth(c);
        c.socket.write(SUCCESS_IPV4.subarray(0, 6));
      },
    ],
  ])('reports a server that closes %s as UPSTREAM_CLOSED', async (_when, until) => {
    const server = await serve(async (c) => {
      await until(c);
      c.socket.end();
    });
    expect(await dialFails(server)).toMatchObject({ code: 'UPSTREAM_CLOSED', outbound: 'up' });
  });

  it('gives up on a server that never answers with TIMEOUT after timeoutMs', async () => {
    const server = await serve(() => {});
    const started = Date.now();
    expect(await dialFails(server, { timeoutMs: 200 })).toMatchObject({ code: 'TIMEOUT', outbound: 'up' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops with ABORTED when the signal fires mid-handshake, and closes the connection', async () => {
    const server = await serve(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await dialFails(server, {}, dest, ac.signal)).toMatchObject({ code: 'ABORTED', outbound: 'up' });
    await waitUntil(() => server.conversations[0]?.socket.closed === true, 2000);
  });

  it('does not connect at all when the signal has already fired', async () => {
    const server = await serve(() => {});
    const ac = new AbortController();
    ac.abort();
    expect(await dialFails(server, {}, dest, ac.signal)).toMatchObject({ code: 'ABORTED' });
  });
});

describe('socks5 dial leaves nothing behind', () => {
  it('returns a stream with no extra listeners and no pending timers', async () => {
    const server = await serve(async (c) => {
      await greetNoAuth(c);
      c.socket.write(SUCCESS_IPV4);
    });
    await expectDialLeavesNothingBehind(server.port, ['data', 'readable', 'end', 'close', 'error', 'drain'], (signal) =>
      outboundTo(server).dial(dest, dialContext(dest, signal)),
    );
  });
});
