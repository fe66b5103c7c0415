import { describe, expect, it } from 'vitest';
import { PassThrough, Duplex } from 'node:stream';
import net from 'node:net';
import { createSocks5 } from '../../../core/protocol/socks5/index.js';
import type { Outbound } from '../../../core/adapter/outbound.js';
import { measureLatency, type LatencyProbe } from '../../../core/probe/latency.js';
import { useProbedMember } from '../../helpers/probe-member.js';

const { target, socks, member } = useProbedMember();

const probe = (p: Partial<LatencyProbe> = {}): LatencyProbe => ({ url: target.url('/hello'), timeoutMs: 2000, mode: 'http', ...p });

/** Waits until the server has no client connection open (the probe cleaned up after itself). */
async function allClosed(): Promise<void> {
  for (let i = 0; i < 100 && socks.open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(socks.open).toBe(0);
}

describe('latency probe through a real socks5 outbound', () => {
  it.each([300, 600])('measures an injected %i ms delay within ±20%', async (delayMs) => {
    socks.set({ delayMs });
    const result = await measureLatency(member, probe());
    expect(result).toMatchObject({ name: 'jp1', ok: true, mode: 'http' });
    expect(result.latencyMs!).toBeGreaterThanOrEqual(delayMs * 0.8);
    expect(result.latencyMs!).toBeLessThanOrEqual(delayMs * 1.2);
    expect(socks.destinations).toEqual([`127.0.0.1:${target.port}`]);
    expect(target.hits.get('hello')).toBeGreaterThan(0);
    await allClosed();
  });

  it('unified mode times only a second request on the same connection, leaving the dial out', async () => {
    socks.set({ delayMs: 200 });
    const result = await measureLatency(member, probe({ mode: 'unified' }));
    expect(result).toMatchObject({ ok: true, mode: 'unified' });
    expect(result.latencyMs!).toBeLessThan(60);
    expect(socks.accepted).toBe(1); // both requests rode one connection
    await allClosed();
  });

  it('tcp mode times the connect to the server itself', async () => {
    socks.set({ delayMs: 300 }); // the SOCKS answer delay must not count
    const result = await measureLatency(member, probe({ mode: 'tcp', endpoint: { host: '127.0.0.1', port: socks.port } }));
    expect(result).toMatchObject({ ok: true, mode: 'tcp' });
    expect(result.latencyMs!).toBeLessThan(100);
    expect(socks.connects).toBe(0);
    const none = await measureLatency(member, probe({ mode: 'tcp' }));
    expect(none).toMatchObject({ ok: false, error: { code: 'NO_ENDPOINT' } });
  });

  it('checks the status: any 2xx/3xx by default, or the expected ones', async () => {
    const missing = await measureLatency(member, probe({ url: target.url('/nothing-here') }));
    expect(missing).toMatchObject({ ok: false, error: { code: 'UNEXPECTED_STATUS' } });
    expect(missing.error!.message).toContain('404');
    expect(missing.latencyMs).toBeUndefined();
    expect(await measureLatency(member, probe({ url: target.url('/nothing-here'), expectedStatus: [404] }))).toMatchObject({ ok: true });
    expect(await measureLatency(member, probe({ expectedStatus: [204] }))).toMatchObject({ ok: false, error: { code: 'UNEXPECTED_STATUS' } });
    await allClosed();
  });

  it('gives up after the timeout with TIMEOUT and leaves no connection open', async () => {
    socks.set({ delayMs: 1500 });
    const started = Date.now();
    const result = await measureLatency(member, probe({ timeoutMs: 200 }));
    const took = Date.now() - started;
    expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(700);
    await allClosed();
  });

  it('reports a dropped upstream and a refused one with the dial error code', async () => {
    socks.set({ drop: true });
    expect(await measureLatency(member, probe())).toMatchObject({ ok: false, error: { code: 'UPSTREAM_CLOSED' } });
    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const gone = createSocks5({ name: 'gone', type: 'socks5', server: '127.0.0.1', port: closedPort });
    expect(await measureLatency(gone, probe())).toMatchObject({ ok: false, name: 'gone', error: { code: 'CONNECTION_REFUSED' } });
    expect(await measureLatency(member, probe({ url: 'ftp://example.com/' }))).toMatchObject({ ok: false, error: { code: 'BAD_URL' } });
  });

  it('works over a stream that is not a net.Socket (framed protocols), in unified mode too', async () => {
    // An outbound whose stream is a plain Duplex wrapping the socks5 stream, as Shadowsocks or VMess hand back.
    const framed: Outbound = {
      name: 'framed',
      type: 'test',
      async dial(dest, ctx) {
        const inner = await member.dial(dest, ctx);
        const up = new PassThrough();
        const down = new PassThrough();
        up.pipe(inner);
        inner.pipe(down);
        const wrapper = Duplex.from({ writable: up, readable: down });
        wrapper.on('close', () => inner.destroy());
        return wrapper;
      },
    };
    socks.set({ delayMs: 100 });
    const http = await measureLatency(framed, probe());
    expect(http).toMatchObject({ ok: true, name: 'framed' });
    expect(http.latencyMs!).toBeGreaterThanOrEqual(80);
    const unified = await measureLatency(framed, probe({ mode: 'unified' }));
    expect(unified).toMatchObject({ ok: true, mode: 'unified' });
    expect(unified.latencyMs!).toBeLessThan(60);
    await allClosed();
  });
});
