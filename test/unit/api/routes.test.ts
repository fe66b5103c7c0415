import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../core/api/http.js';
import { useApiWithTarget } from './harness.js';

const HK = 'trojan 香港';
const HK_PATH = 'trojan%20%E9%A6%99%E6%B8%AF';

describe('controller routes', () => {
  const { h, target } = useApiWithTarget();
  const hello = () => encodeURIComponent(target.url('/hello'));

  describe('version, configs, rules, providers', () => {
    it('GET /version names us and claims the mihomo extensions', async () => {
      const res = await h.call('GET', '/version');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ version: expect.stringMatching(/^switchyard v\d+\.\d+\.\d+/), meta: true });
    });

    it('GET /configs reports the running mode, port and log level', async () => {
      const res = await h.call('GET', '/configs');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ mode: 'rule', 'mixed-port': h.mixedPort, 'log-level': 'debug', 'allow-lan': false, port: 0, tun: { enable: false } });
      expect(res.json.authentication).toEqual([]);
    });

    it('PATCH /configs changes the mode live (any case) and routing follows it', async () => {
      const meta = { id: 't', network: 'tcp' as const, inbound: 'socks5', source: { address: '127.0.0.1', port: 1 }, destination: { host: 'www.example.com', port: 80 }, startedAt: 0 };
      expect((await h.engine.route(meta)).outbound.name).toBe('manual');
      expect((await h.call('PATCH', '/configs', { body: { mode: 'Global' } })).status).toBe(204);
      expect(h.engine.currentMode).toBe('global');
      expect((await h.engine.route(meta)).outbound.name).toBe('GLOBAL');
      expect((await h.call('GET', '/configs')).json.mode).toBe('global');
      expect((await h.call('PATCH', '/configs', { body: { mode: 'direct' } })).status).toBe(204);
      expect((await h.engine.route(meta)).outbound.name).toBe('DIRECT');
      expect((await h.call('PATCH', '/configs', { body: { mode: 'rule' } })).status).toBe(204);
      expect((await h.engine.route(meta)).outbound.name).toBe('manual');
    });

    it('PATCH /configs log-level changes the logger and what GET /configs reports', async () => {
      expect((await h.call('PATCH', '/configs', { body: { 'log-level': 'warning' } })).status).toBe(204);
      expect((await h.call('GET', '/configs')).json['log-level']).toBe('warning');
      const before = h.logLines.length;
      await h.call('PATCH', '/configs', { body: { mode: 'rule' } }); // logs at info: now below the level
      expect(h.logLines.length).toBe(before);
      expect((await h.call('PATCH', '/configs', { body: { 'log-level': 'debug' } })).status).toBe(204);
      await h.call('PATCH', '/configs', { body: { mode: 'rule' } });
      expect(h.logLines.length).toBe(before + 1);
    });

    it('PATCH /configs refuses bad bodies with a 400 naming the field, and changes nothing', async () => {
      const cases: [unknown, string][] = [
        [{ mode: 'fast' }, 'mode: expected one of rule, global, direct, got "fast"'],
        [{ mode: 5 }, 'mode: expected one of rule, global, direct, got 5'],
        [{ 'allow-lan': 'yes' }, 'allow-lan: expected true or false, got "yes"'],
        [{ 'log-level': 'loud' }, 'log-level: expected one of silent, error, warning, info, debug, got "loud"'],
        [{ mode: 'global', 'log-level': 'loud' }, 'log-level: expected one of silent, error, warning, info, debug, got "loud"'],
        [{ tun: { enable: true } }, 'tun: not supported by Switchyard (PATCH /configs takes mode, allow-lan, log-level)'],
        [['mode', 'global'], 'body: expected a JSON object, got a list'],
        ['global', 'body: expected a JSON object, got "global"'],
      ];
      for (const [body, message] of cases) {
        const res = await h.call('PATCH', '/configs', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.json).toEqual({ message });
      }
      expect(h.engine.currentMode).toBe('rule');
      const notJson = await h.call('PATCH', '/configs', { rawBody: '{"mode": ', headers: { 'content-type': 'application/json' } });
      expect(notJson.status).toBe(400);
      expect(notJson.json.message).toMatch(/^body: expected JSON/);
      const empty = await h.call('PATCH', '/configs', { rawBody: '' });
      expect(empty.json).toEqual({ message: 'body: expected a JSON object, got nothing' });
    });

    it('PATCH /configs allow-lan: the current value is accepted, a change is refused with the reason', async () => {
      expect((await h.call('PATCH', '/configs', { body: { 'allow-lan': false } })).status).toBe(204);
      const res = await h.call('PATCH', '/configs', { body: { 'allow-lan': true } });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/^allow-lan: cannot change while running/);
    });

    it('GET /rules lists the rules in match order with their targets', async () => {
      const res = await h.call('GET', '/rules');
      expect(res.json).toEqual({
        rules: [
          { type: 'DOMAIN-SUFFIX', payload: 'example.com', proxy: 'manual', size: -1 },
          { type: 'IP-CIDR', payload: '127.0.0.0/8', proxy: 'auto', size: -1 },
          { type: 'MATCH', payload: '', proxy: 'DIRECT', size: -1 },
        ],
      });
    });

    it('providers: the built-in Compatible provider with a valid updatedAt, none for rules, 404 for others', async () => {
      const res = await h.call('GET', '/providers/proxies');
      const def = res.json.providers.default;
      expect(Object.keys(res.json.providers)).toEqual(['default']);
      expect(def).toMatchObject({ name: 'default', type: 'Proxy', vehicleType: 'Compatible' });
      expect(def.proxies.map((p: { name: string }) => p.name)).toEqual([HK, 'jp1', 'dead']);
      expect(Number.isNaN(Date.parse(def.updatedAt))).toBe(false);
      expect((await h.call('PUT', '/providers/proxies/default')).status).toBe(204);
      const missing = await h.call('PUT', '/providers/proxies/sub1');
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({ message: 'proxy provider "sub1" not found' });
      expect((await h.call('GET', '/providers/rules')).json).toEqual({ providers: {} });
    });

    it('unknown paths are 404 and wrong methods 405 with Allow', async () => {
      const none = await h.call('GET', '/no/such/route');
      expect(none.status).toBe(404);
      expect(none.json.message).toBe('no route for GET /no/such/route');
      const wrong = await h.call('POST', '/proxies');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('GET');
    });
  });

  describe('request bodies', () => {
    it('refuses a declared body over 1 MiB with 413 before reading it', async () => {
      const res = await rawRequest(h.address.port, `PATCH /configs HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.secret}\r\ncontent-type: application/json\r\ncontent-length: ${MAX_BODY_BYTES + 1}\r\n\r\n`);
      expect(res).toMatch(/^HTTP\/1\.1 413 /);
      expect(res).toContain('"message":"body: larger than the 1048576 bytes allowed"');
    });

    it('refuses a chunked body that grows past 1 MiB with 413', async () => {
      const head = `PUT /proxies/manual HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.secret}\r\ntransfer-encoding: chunked\r\n\r\n`;
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const chunked = Buffer.concat([Buffer.from(head), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))]);
      const res = await rawRequest(h.address.port, chunked);
      expect(res).toMatch(/^HTTP\/1\.1 413 /);
      expect(res).toMatch(/connection: close/i);
    });
  });

  describe('proxies', () => {
    it('GET /proxies lists every outbound with mihomo type names; groups with all and now', async () => {
      const { proxies } = (await h.call('GET', '/proxies')).json;
      expect(Object.keys(proxies).sort()).toEqual(['DIRECT', 'GLOBAL', 'REJECT', 'auto', 'dead', 'fast', 'jp1', 'manual', HK].sort());
      expect(proxies[HK]).toMatchObject({ name: HK, type: 'Direct', udp: false, history: expect.any(Array) });
      expect(proxies.dead.type).toBe('Socks5');
      expect(proxies.REJECT.type).toBe('Reject');
      expect(proxies.manual).toMatchObject({ type: 'Selector', all: [HK, 'jp1', 'DIRECT'], now: HK });
      expect(proxies.auto).toMatchObject({ type: 'LoadBalance', all: [HK, 'jp1'], strategy: 'round-robin' });
      expect(proxies.fast).toMatchObject({ type: 'URLTest', all: ['jp1', 'dead'], strategy: 'least-latency' });
      expect(proxies.GLOBAL).toMatchObject({ type: 'Selector', all: expect.arrayContaining(['manual', 'auto', 'fast', HK, 'jp1', 'dead', 'DIRECT']) });
    });

    it('GET /proxies/{name} takes a percent-encoded UTF-8 name; 404 for an unknown one', async () => {
      const res = await h.call('GET', `/proxies/${HK_PATH}`);
      expect(res.status).toBe(200);
      expect(res.json.name).toBe(HK);
      const missing = await h.call('GET', '/proxies/nobody');
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({ message: 'proxy "nobody" not found' });
    });

    it('PUT /proxies/{group} selects a member of a select group, by UTF-8 name too', async () => {
      expect((await h.call('PUT', '/proxies/manual', { body: { name: 'jp1' } })).status).toBe(204);
      expect(h.engine.pools.get('manual')!.snapshot().now).toBe('jp1');
      expect((await h.call('GET', '/proxies/manual')).json.now).toBe('jp1');
      expect((await h.call('PUT', '/proxies/manual', { body: { name: HK } })).status).toBe(204);
      expect(h.engine.pools.get('manual')!.snapshot().now).toBe(HK);
    });

    it('PUT /proxies/{group} refuses bad bodies and non-select targets with a 400 naming the field; 404 for unknown names', async () => {
      const bad = async (path: string, body: unknown) => {
        const res = await h.call('PUT', path, { body });
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        return res.json.message as string;
      };
      expect(await bad('/proxies/manual', {})).toBe('name: expected the name of a member of the group, got nothing');
      expect(await bad('/proxies/manual', { name: 5 })).toBe('name: expected the name of a member of the group, got 5');
      expect(await bad('/proxies/manual', { name: '' })).toBe('name: expected the name of a member of the group, got ""');
      expect(await bad('/proxies/manual', { name: 'nobody' })).toMatch(/^name: pool "manual" has no member "nobody"; members: trojan 香港, jp1, DIRECT/);
      expect(await bad('/proxies/manual', [])).toBe('body: expected a JSON object, got a list');
      expect(await bad('/proxies/auto', { name: 'jp1' })).toMatch(/"auto" is a load-balance group; only select groups take a chosen member/);
      expect(await bad(`/proxies/${HK_PATH}`, { name: 'jp1' })).toBe(`"${HK}" is a proxy, not a group; only select groups take a chosen member`);
      const missing = await h.call('PUT', '/proxies/nobody', { body: { name: 'jp1' } });
      expect(missing.status).toBe(404);
      expect(h.engine.pools.get('manual')!.snapshot().now).toBe(HK);
    });
  });

  describe('delay', () => {
    it('GET /proxies/{UTF-8 name}/delay measures through the proxy and records the history', async () => {
      const hits = target.hits.get('hello') ?? 0;
      const res = await h.call('GET', `/proxies/${HK_PATH}/delay?url=${hello()}&timeout=3000`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ delay: expect.any(Number) });
      expect(res.json.delay).toBeGreaterThanOrEqual(1);
      expect(res.json.delay).toBeLessThan(3000);
      expect(target.hits.get('hello')).toBe(hits + 1);
      const entry = (await h.call('GET', `/proxies/${HK_PATH}`)).json;
      expect(entry.history.at(-1)).toEqual({ time: expect.any(String), delay: expect.any(Number) });
      expect(entry.alive).toBe(true);
    });

    it('answers 504 {message: "Timeout"} when the test runs out of time, 503 when it fails', async () => {
      const slow = await h.call('GET', `/proxies/jp1/delay?url=${encodeURIComponent(target.url('/slow/3000'))}&timeout=300`);
      expect(slow.status).toBe(504);
      expect(slow.json).toEqual({ message: 'Timeout' });
      const dead = await h.call('GET', `/proxies/dead/delay?url=${hello()}&timeout=2000`);
      expect(dead.status).toBe(503);
      expect(dead.json.message).toEqual(expect.any(String));
      expect((await h.call('GET', '/proxies/dead')).json.alive).toBe(false);
    });

    it('refuses bad query parameters with a 400 naming them; 404 for an unknown proxy', async () => {
      const q = async (query: string) => (await h.call('GET', `/proxies/jp1/delay?${query}`)).json.message;
      expect(await q('timeout=abc')).toBe('timeout: expected an integer 1-60000, got "abc"');
      expect(await q('timeout=0')).toBe('timeout: expected an integer 1-60000, got "0"');
      expect(await q('url=ftp%3A%2F%2Fx&timeout=100')).toBe('url: expected an http(s) URL, got "ftp://x"');
      expect(await q(`url=${hello()}&timeout=100&expected=20x`)).toBe('expected: expected status codes like 204 or 200-299/302, got "20x"');
      const missing = await h.call('GET', `/proxies/nobody/delay?url=${hello()}&timeout=100`);
      expect(missing.status).toBe(404);
    });

    it('honours ?expected= status codes', async () => {
      const wrong = await h.call('GET', `/proxies/jp1/delay?url=${hello()}&timeout=2000&expected=204`);
      expect(wrong.status).toBe(503);
      const right = await h.call('GET', `/proxies/jp1/delay?url=${hello()}&timeout=2000&expected=200-204/302`);
      expect(right.status).toBe(200);
    });

    it('GET /group/{name}/delay answers member → delay for the members that answered', async () => {
      const res = await h.call('GET', `/group/fast/delay?url=${hello()}&timeout=2000`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual(['jp1']);
      expect(res.json.jp1).toEqual(expect.any(Number));
      const all = await h.call('GET', `/group/auto/delay?url=${hello()}&timeout=2000`);
      expect(Object.keys(all.json).sort()).toEqual(['jp1', HK].sort());
      expect((await h.call('GET', `/group/jp1/delay?url=${hello()}&timeout=100`)).status).toBe(404);
      expect((await h.call('GET', '/group/%E9%A6/delay')).json).toEqual({ message: 'path: "%E9%A6" is not valid percent-encoded UTF-8' });
    });
  });

  describe('/switchyard/', () => {
    it('GET /switchyard/pools shows each pool with its strategy and members', async () => {
      const { pools } = (await h.call('GET', '/switchyard/pools')).json;
      const auto = pools.find((p: { name: string }) => p.name === 'auto');
      expect(auto).toMatchObject({ type: 'load-balance', strategy: 'round-robin' });
      expect(auto.members.map((m: { name: string }) => m.name)).toEqual([HK, 'jp1']);
      expect(auto.members[0]).toMatchObject({ alive: true, activeConnections: 0, weight: 1 });
      expect(pools.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['manual', 'auto', 'fast', 'GLOBAL']));
    });

    it('POST /switchyard/speedtest/{name} downloads through it and reports Mbit/s and bytes spent', async () => {
      const res = await h.call('POST', `/switchyard/speedtest/${HK_PATH}`, { body: { url: target.url('/bytes/300000'), maxMs: 5000 } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ name: HK, ok: true, bytes: 300000 });
      expect(res.json.mbps).toBeGreaterThan(0);
      const bad = await h.call('POST', '/switchyard/speedtest/jp1', { body: { maxBytes: 'lots' } });
      expect(bad.json).toEqual({ message: 'maxBytes: expected an integer 1-1073741824, got "lots"' });
      expect((await h.call('POST', '/switchyard/speedtest/jp1', { body: { size: 1 } })).json.message).toMatch(/^size: unknown field/);
      expect((await h.call('POST', '/switchyard/speedtest/jp1', { body: { url: 'file:///etc/passwd' } })).json.message).toBe('url: expected an http(s) URL, got "file:///etc/passwd"');
      expect((await h.call('POST', '/switchyard/speedtest/nobody')).status).toBe(404);
    });

    it('GET /switchyard/history/{name} returns the probe samples; bad kind or since is a 400', async () => {
      const res = await h.call('GET', `/switchyard/history/${HK_PATH}?kind=latency`);
      expect(res.status).toBe(200);
      expect(res.json.name).toBe(HK);
      expect(res.json.samples.length).toBeGreaterThan(0);
      expect(res.json.samples[0]).toMatchObject({ kind: 'latency', at: expect.any(Number) });
      const speed = await h.call('GET', `/switchyard/history/${HK_PATH}?kind=speed`);
      expect(speed.json.samples.every((s: { kind: string }) => s.kind === 'speed')).toBe(true);
      expect((await h.call('GET', '/switchyard/history/jp1?kind=volume')).json).toEqual({ message: 'kind: expected latency or speed, got "volume"' });
      expect((await h.call('GET', '/switchyard/history/jp1?since=-1')).status).toBe(400);
      expect((await h.call('GET', '/switchyard/history/nobody')).status).toBe(404);
    });
  });
});

/** Writes raw bytes and returns whatever comes back until the server closes or 3 s pass. */
function rawRequest(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('error', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.setTimeout(3000, () => socket.destroy());
    socket.write(data);
  });
}
