import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, openStream, useApiWithTarget } from './harness.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/mihomo/${name}.json`, import.meta.url), 'utf8'));

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where `ours` lacks a key mihomo's answer has, or has it with another JSON type. Arrays compare their
 * first elements; `null` in mihomo's answer (a list never filled, like sourceGeoIP) accepts null or a list.
 * Extra keys of ours are allowed: dashboards ignore what they do not know.
 */
function shapeDifferences(ours: unknown, theirs: unknown, path = '$'): string[] {
  if (theirs === null) return ours === null || Array.isArray(ours) ? [] : [`${path}: expected null or a list, got ${kind(ours)}`];
  if (kind(ours) !== kind(theirs)) return [`${path}: expected ${kind(theirs)}, got ${kind(ours)}`];
  if (Array.isArray(theirs)) {
    const a = ours as unknown[];
    return a.length && theirs.length ? shapeDifferences(a[0], theirs[0], `${path}[0]`) : [];
  }
  if (typeof theirs === 'object') {
    const o = ours as Record<string, unknown>;
    return Object.entries(theirs as Record<string, unknown>).flatMap(([k, v]) => (k in o ? shapeDifferences(o[k], v, `${path}.${k}`) : [`${path}.${k}: missing`]));
  }
  return [];
}

/** Maps keyed by names (proxies, providers, group delays): every value against one of mihomo's. */
function recordDifferences(ours: Record<string, unknown>, sample: unknown, path: string): string[] {
  return Object.entries(ours).flatMap(([k, v]) => shapeDifferences(v, sample, `${path}.${k}`));
}

describe('mihomo compatibility of our JSON', () => {
  const { h, target } = useApiWithTarget();
  const hello = () => encodeURIComponent(target.url('/hello'));

  it('the shape check itself catches a missing key, a wrong type and a wrong element type', () => {
    expect(shapeDifferences({ up: 1 }, { up: 1, down: 2 })).toEqual(['$.down: missing']);
    expect(shapeDifferences({ sourcePort: 80 }, { sourcePort: '80' })).toEqual(['$.sourcePort: expected string, got number']);
    expect(shapeDifferences({ history: [{ time: 1, delay: 2 }] }, { history: [{ time: 'x', delay: 1 }] })).toEqual(['$.history[0].time: expected string, got number']);
    expect(shapeDifferences({ geo: 'x' }, { geo: null })).toEqual(['$.geo: expected null or a list, got string']);
  });

  it('GET /proxies: every entry has the keys of a mihomo proxy; groups those of a mihomo group of the same type', async () => {
    // A delay test first, so the history list has an element to compare.
    expect((await h.call('GET', `/proxies/jp1/delay?url=${hello()}&timeout=3000`)).status).toBe(200);
    const ours = (await h.call('GET', '/proxies')).json;
    const theirs = fixture('proxies');
    expect(shapeDifferences(ours, { proxies: {} })).toEqual([]);
    expect(recordDifferences(ours.proxies, theirs.proxies.DIRECT, '$.proxies')).toEqual([]);
    expect(ours.proxies.jp1.history.length).toBeGreaterThan(0);
    expect(shapeDifferences(ours.proxies.jp1, theirs.proxies.jp1)).toEqual([]);
    expect(shapeDifferences(ours.proxies.manual, theirs.proxies.manual)).toEqual([]);
    expect(shapeDifferences(ours.proxies.GLOBAL, theirs.proxies.manual)).toEqual([]);
    expect(shapeDifferences(ours.proxies.fast, theirs.proxies.auto)).toEqual([]);
    expect(shapeDifferences(ours.proxies.auto, theirs.proxies.balance)).toEqual([]);
    expect([ours.proxies.manual.type, ours.proxies.fast.type, ours.proxies.auto.type]).toEqual(['Selector', 'URLTest', 'LoadBalance']);
  });

  it('GET /proxies/{name}/delay and /group/{name}/delay, success and timeout', async () => {
    const ok = await h.call('GET', `/proxies/jp1/delay?url=${hello()}&timeout=3000`);
    expect(shapeDifferences(ok.json, fixture('proxy-delay'))).toEqual([]);
    const timeout = await h.call('GET', `/proxies/jp1/delay?url=${encodeURIComponent(target.url('/slow/2000'))}&timeout=200`);
    expect(timeout.status).toBe(504);
    expect(timeout.json).toEqual(fixture('proxy-delay-timeout'));
    const group = await h.call('GET', `/group/auto/delay?url=${hello()}&timeout=3000`);
    expect(Object.keys(group.json).length).toBe(2);
    expect(recordDifferences(group.json, fixture('group-delay').jp1, '$')).toEqual([]);
  });

  it('/traffic and /memory frames, and a /logs frame', async () => {
    const traffic = await openStream(`ws://127.0.0.1:${h.address.port}/traffic?token=${h.secret}`);
    const memory = await openStream(`ws://127.0.0.1:${h.address.port}/memory?token=${h.secret}`);
    const logs = await openStream(`ws://127.0.0.1:${h.address.port}/logs?token=${h.secret}`);
    await h.call('PATCH', '/configs', { body: { mode: 'rule' } });
    await Promise.all([traffic.waitFrames(1), memory.waitFrames(1), logs.waitFrames(1)]);
    expect(shapeDifferences(traffic.frames[0]!.data, fixture('traffic'))).toEqual([]);
    expect(Object.keys(traffic.frames[0]!.data).sort()).toEqual(['down', 'up']);
    expect(shapeDifferences(memory.frames[0]!.data, fixture('memory'))).toEqual([]);
    expect(shapeDifferences(logs.frames[0]!.data, fixture('logs'))).toEqual([]);
    await Promise.all([traffic.close(), memory.close(), logs.close()]);
  });

  it('GET /connections with a live connection: mihomo metadata (ports as strings), chains innermost first', async () => {
    const tunnel = net.connect(h.mixedPort, '127.0.0.1');
    try {
      tunnel.write(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`);
      await new Promise((resolve) => tunnel.once('data', resolve));
      await eventually(() => h.engine.tracker.size === 1, 'the tunnel to be tracked');
      const ours = (await h.call('GET', '/connections')).json;
      expect(shapeDifferences(ours, fixture('connections'))).toEqual([]);
      const c = ours.connections[0];
      expect(c.metadata).toMatchObject({
        network: 'tcp',
        type: 'HTTPS',
        sourceIP: '127.0.0.1',
        destinationIP: '127.0.0.1',
        destinationPort: String(target.port),
        host: '',
        inboundPort: String(h.mixedPort),
      });
      expect(c.chains).toHaveLength(2);
      expect(c.chains[1]).toBe('auto');
      expect(['jp1', 'trojan 香港']).toContain(c.chains[0]);
      expect(c).toMatchObject({ rule: 'IP-CIDR', rulePayload: '127.0.0.0/8' });
      expect(Number.isNaN(Date.parse(c.start))).toBe(false);
    } finally {
      tunnel.destroy();
    }
    await eventually(() => h.engine.tracker.size === 0, 'the tunnel to close');
  });

  it('GET /configs, /version, /rules, /providers/proxies, /providers/rules and a 401', async () => {
    expect(shapeDifferences((await h.call('GET', '/configs')).json, fixture('configs'))).toEqual([]);
    expect(shapeDifferences((await h.call('GET', '/version')).json, fixture('version'))).toEqual([]);
    expect(shapeDifferences((await h.call('GET', '/rules')).json, fixture('rules'))).toEqual([]);
    const providers = (await h.call('GET', '/providers/proxies')).json;
    expect(recordDifferences(providers.providers, fixture('providers-proxies').providers.default, '$.providers')).toEqual([]);
    expect((await h.call('GET', '/providers/rules')).json).toEqual(fixture('providers-rules'));
    expect(shapeDifferences((await h.call('GET', '/version', { auth: false })).json, fixture('unauthorized'))).toEqual([]);
  });
});
