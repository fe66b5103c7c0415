import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindHost, MixedInbound } from '../../../core/inbound/index.js';
import { ConfigError } from '../../../core/adapter/errors.js';
import { RoutingDispatcher } from '../../../core/route/dispatcher.js';
import { createDirect } from '../../../core/protocol/direct/index.js';
import { ConnectionTracker } from '../../../core/stats/tracker.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { RawClient, SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4, startInbound, waitUntil } from './harness.js';

let target: HttpTarget;
beforeAll(async () => {
  target = await startHttpTarget();
});
afterAll(() => target?.close());

describe('listener lifecycle', () => {
  it('binds loopback by default and 0.0.0.0 with allowLan', () => {
    expect(bindHost({})).toBe('127.0.0.1');
    expect(bindHost({ host: '127.0.0.2' })).toBe('127.0.0.2');
    expect(bindHost({ host: '127.0.0.1', allowLan: true })).toBe('0.0.0.0');
  });

  it('reports the bound address after start()', async () => {
    const h = await startInbound();
    expect(h.inbound.address).toEqual({ host: '127.0.0.1', port: h.port });
    expect(h.port).toBeGreaterThan(0);
    await h.close();
  });

  it('rejects start() when the port is taken', async () => {
    const h = await startInbound();
    const dispatcher = new RoutingDispatcher(() => ({ outbound: createDirect(), rule: 'MATCH', payload: '' }), new ConnectionTracker(new TrafficStats()));
    const second = new MixedInbound(dispatcher, { port: h.port });
    await expect(second.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
    await h.close();
  });

  it('refuses a malformed authentication entry without echoing it', () => {
    const dispatcher = new RoutingDispatcher(() => ({ outbound: createDirect(), rule: 'MATCH', payload: '' }), new ConnectionTracker(new TrafficStats()));
    const make = () => new MixedInbound(dispatcher, { authentication: ['ok:fine', 'secretwithoutcolon'] });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow('authentication[1]: expected "user:pass" with a non-empty user');
    expect(make).not.toThrow(/secretwithoutcolon/);
  });

  it('finishes the tracked connection of a client that left while its request was being routed', async () => {
    const h = await startInbound();
    h.routeDelayMs = 150;
    const clients = await Promise.all([RawClient.connect(h.port), RawClient.connect(h.port), RawClient.connect(h.port)]);
    clients[0]!.write(Buffer.concat([SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('127.0.0.1', target.port)]));
    clients[1]!.write(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    clients[2]!.write(`GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitUntil(() => h.routed.length === 3, 2000, 'three requests routed');
    for (const c of clients) c.destroy();
    await waitUntil(() => h.stats.counter('DIRECT').connections === 3, 2000, 'three dials done');
    await waitUntil(() => h.tracker.size === 0 && h.stats.total.active === 0, 2000, `nothing left open: ${h.tracker.list().map((t) => t.meta.inbound)}`);
    await h.close();
  });

  it('still answers a client that half-closed right after its request, while it was being routed', async () => {
    const h = await startInbound();
    h.routeDelayMs = 150;
    const get = 'GET /hello HTTP/1.1\r\nHost: x\r\n\r\n';
    const socks = await RawClient.connect(h.port);
    socks.socket.end(Buffer.concat([SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('127.0.0.1', target.port), Buffer.from(get)]));
    const connect = await RawClient.connect(h.port);
    connect.socket.end(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: x\r\n\r\n${get}`);
    await Promise.all([socks.waitClosed(), connect.waitClosed()]);
    expect(socks.received.subarray(12).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
    expect(connect.received.toString()).toMatch(/^HTTP\/1\.1 200 Connection established\r\n\r\nHTTP\/1\.1 200 OK[\s\S]*hello$/);
    await waitUntil(() => h.tracker.size === 0, 2000, 'tunnels finished');
    await h.close();
  });

  it('close() ends relaying, mid-handshake and idle keep-alive clients, then resolves', async () => {
    const h = await startInbound({ handshakeTimeoutMs: 60_000 });
    // A SOCKS5 tunnel that is relaying (a slow response in flight).
    const tunnel = await RawClient.connect(h.port);
    tunnel.write(SOCKS5_NO_AUTH_GREETING);
    await tunnel.waitForBytes(2);
    tunnel.write(socks5ConnectIPv4('127.0.0.1', target.port));
    await tunnel.waitForBytes(12);
    tunnel.write('GET /slow/30000 HTTP/1.1\r\nHost: x\r\n\r\n');
    // A client stuck mid-handshake, and a plain HTTP keep-alive client between requests.
    const stuck = await RawClient.connect(h.port);
    stuck.write(Buffer.from([0x05, 0x03, 0x00]));
    const idle = await RawClient.connect(h.port);
    idle.write(`GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await idle.waitForBytes(1);
    await waitUntil(() => h.tracker.size === 1, 3000, 'tunnel tracked');

    const started = Date.now();
    await h.close();
    await Promise.all([tunnel.waitClosed(2000), stuck.waitClosed(2000), idle.waitClosed(2000)]);
    expect(Date.now() - started).toBeLessThan(2000);
    await waitUntil(() => h.tracker.size === 0, 2000, 'tracker empty');
    expect(h.stats.total.active).toBe(0);
    await expect(RawClient.connect(h.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
