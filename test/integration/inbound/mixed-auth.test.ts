import http from 'node:http';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { curl, RawClient, startInbound, type InboundHarness } from './harness.js';

/** Clients that authenticate (RFC 1929 for SOCKS5, Basic for HTTP) against `authentication` users. */

let h: InboundHarness;
let target: HttpTarget;

beforeAll(async () => {
  h = await startInbound({ authentication: ['alice:pa:ss', 'bob:hunter2'] });
  target = await startHttpTarget();
});

afterAll(async () => {
  await h?.close();
  await target?.close();
});

describe('authenticated clients', () => {
  it.each([
    ['socks5 (curl, remote DNS)', () => ['-x', `socks5h://bob:hunter2@${h.proxy}`], 'socks5'],
    ['socks5 (curl, password with a colon)', () => ['--socks5', h.proxy, '--proxy-user', 'alice:pa:ss'], 'socks5'],
    ['plain http (curl -U)', () => ['-x', `http://${h.proxy}`, '-U', 'bob:hunter2'], 'http'],
    ['http CONNECT (curl -p -U)', () => ['-p', '-x', `http://${h.proxy}`, '-U', 'alice:pa:ss'], 'http-connect'],
  ])('%s', async (_name, args, inbound) => {
    const r = await curl([...args(), target.url('/hello')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hello');
    expect(h.routed[h.routed.length - 1]).toMatchObject({ inbound });
  });

  it('fails curl with a wrong SOCKS5 password and routes nothing', async () => {
    const before = h.routed.length;
    const r = await curl(['-x', `socks5h://bob:wrong@${h.proxy}`, target.url('/hello')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(h.routed.length).toBe(before);
  });

  it('serves socks-proxy-agent with credentials', async () => {
    const agent = new SocksProxyAgent(`socks5h://bob:hunter2@${h.proxy}`);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(target.url('/hello'), { agent }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(s));
        })
        .on('error', reject);
    });
    agent.destroy();
    expect(body).toBe('hello');
  });

  it('does not send the Proxy-Authorization header on to the target', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const echo = http.createServer((req, res) => {
      seen = req.headers;
      res.end('ok');
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    const r = await curl(['-x', `http://${h.proxy}`, '-U', 'bob:hunter2', `http://127.0.0.1:${port}/`]);
    await new Promise<void>((r2) => echo.close(() => r2()));
    expect(r.stdout.toString()).toBe('ok');
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen['proxy-connection']).toBeUndefined();
  });

  it('takes a SOCKS5 greeting, auth and request sent in one write', async () => {
    const c = await RawClient.connect(h.port);
    const auth = Buffer.concat([Buffer.from([0x01, 3]), Buffer.from('bob'), Buffer.from([7]), Buffer.from('hunter2')]);
    const request = Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, target.port >> 8, target.port & 0xff]);
    const get = Buffer.from('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    c.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x02]), auth, request, get]));
    await c.waitClosed();
    expect([...c.received.subarray(0, 14)]).toEqual([0x05, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    expect(c.received.subarray(14).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello$/);
  });
});
