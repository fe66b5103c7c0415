import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openStream, profileYaml, startApi, type ApiHarness } from './harness.js';

/** Reads newline-delimited JSON from a plain GET until `n` lines arrived, then drops the connection. */
function readLines(port: number, path: string, secret: string, n: number): Promise<{ at: number; data: any }[]> {
  return new Promise((resolve, reject) => {
    const lines: { at: number; data: any }[] = [];
    const req = http.get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${secret}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      let buffered = '';
      res.on('data', (d) => {
        buffered += d;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          lines.push({ at: Date.now(), data: JSON.parse(buffered.slice(0, nl)) });
          buffered = buffered.slice(nl + 1);
        }
        if (lines.length >= n) {
          req.destroy();
          resolve(lines);
        }
      });
      // The server ended the stream first (it is closing): what arrived is the answer.
      res.on('error', () => {});
      res.on('close', () => resolve(lines));
    });
    req.on('error', (err) => (lines.length >= n ? undefined : reject(err)));
  });
}

const gaps = (frames: { at: number }[]) => frames.slice(1).map((f, i) => f.at - frames[i]!.at);

describe('controller streams', () => {
  let h: ApiHarness;
  let ws: string;

  beforeAll(async () => {
    h = await startApi(profileYaml());
    ws = `ws://127.0.0.1:${h.address.port}`;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('/traffic over WebSocket sends {up, down} once a second and stops its timer when the client goes', async () => {
    const client = await openStream(`${ws}/traffic?token=${h.secret}`);
    expect(h.controller.activeStreams).toBe(1);
    await client.waitFrames(4, 6000);
    for (const f of client.frames) expect(f.data).toEqual({ up: expect.any(Number), down: expect.any(Number) });
    // The first frame comes at once, then one a second.
    for (const gap of gaps(client.frames)) {
      expect(gap).toBeGreaterThan(800);
      expect(gap).toBeLessThan(1400);
    }
    await client.close();
    await eventually(() => h.controller.activeStreams === 0, 'the /traffic stream to stop');
    const count = client.frames.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(client.frames.length).toBe(count);
  });

  it('/traffic without an upgrade streams newline-delimited JSON, and stops when the client disconnects', async () => {
    const lines = await readLines(h.address.port, '/traffic', h.secret, 2);
    expect(lines.map((l) => l.data)).toEqual([
      { up: expect.any(Number), down: expect.any(Number) },
      { up: expect.any(Number), down: expect.any(Number) },
    ]);
    expect(gaps(lines)[0]).toBeGreaterThan(800);
    await eventually(() => h.controller.activeStreams === 0, 'the NDJSON stream to stop');
  });

  it('/connections answers JSON to a plain GET and streams snapshots over WebSocket (?interval= honoured)', async () => {
    const plain = await h.call('GET', '/connections');
    expect(plain.json).toMatchObject({ connections: [], downloadTotal: expect.any(Number), uploadTotal: expect.any(Number) });
    const client = await openStream(`${ws}/connections?token=${h.secret}&interval=300`);
    await client.waitFrames(3, 3000);
    expect(client.frames[0]!.data).toMatchObject({ connections: [], downloadTotal: expect.any(Number) });
    for (const gap of gaps(client.frames)) expect(gap).toBeLessThan(700);
    await client.close();
    await expect(openStream(`${ws}/connections?token=${h.secret}&interval=soon`)).rejects.toMatchObject({ status: 400 });
    await eventually(() => h.controller.activeStreams === 0, 'the /connections stream to stop');
  });

  it('/logs over WebSocket delivers {type, payload} at the asked level and above, and unsubscribes on close', async () => {
    const info = await openStream(`${ws}/logs?token=${h.secret}&level=info`);
    const errorsOnly = await openStream(`${ws}/logs?token=${h.secret}&level=error`);
    expect(h.logs.subscriberCount).toBe(2);
    await h.call('PATCH', '/configs', { body: { mode: 'global' } });
    await h.call('PATCH', '/configs', { body: { mode: 'rule' } });
    await info.waitFrames(2);
    expect(info.frames[0]!.data).toEqual({ type: 'info', payload: 'mode changed by the controller mode=global' });
    expect(info.frames[1]!.data).toEqual({ type: 'info', payload: 'mode changed by the controller mode=rule' });
    expect(errorsOnly.frames).toEqual([]);
    await info.close();
    await errorsOnly.close();
    await eventually(() => h.logs.subscriberCount === 0 && h.controller.activeStreams === 0, 'log subscribers to leave');
    await expect(openStream(`${ws}/logs?token=${h.secret}&level=loud`)).rejects.toMatchObject({ status: 400 });
  });

  it('/switchyard/stats sends per-server and per-pool numbers each second', async () => {
    const client = await openStream(`${ws}/switchyard/stats?token=${h.secret}`);
    await client.waitFrames(2, 3000);
    const frame = client.frames[1]!.data;
    expect(frame.total).toEqual({ upRate: 0, downRate: 0, up: 0, down: 0, active: 0 });
    expect(frame.servers.map((s: { name: string }) => s.name)).toEqual(['trojan 香港', 'jp1', 'dead']);
    for (const s of frame.servers) {
      expect(Object.keys(s).sort()).toEqual(['active', 'down', 'downRate', 'latencyMs', 'name', 'score', 'speedMbps', 'state', 'type', 'up', 'upRate'].sort());
    }
    expect(frame.servers[0]).toMatchObject({ type: 'direct', upRate: 0, latencyMs: null, state: 'unknown' });
    expect(frame.pools.find((p: { name: string }) => p.name === 'auto')).toMatchObject({ strategy: 'round-robin', state: 'alive', type: 'load-balance' });
    await client.close();
    await eventually(() => h.controller.activeStreams === 0, 'the stats stream to stop');
  });

  it('/memory sends {inuse, oslimit}', async () => {
    const client = await openStream(`${ws}/memory?token=${h.secret}`);
    await client.waitFrames(1);
    expect(client.frames[0]!.data).toEqual({ inuse: expect.any(Number), oslimit: 0 });
    expect(client.frames[0]!.data.inuse).toBeGreaterThan(0);
    await client.close();
  });

  it('a plain route refuses an upgrade; a client that vanishes without a close handshake is noticed', async () => {
    await expect(openStream(`${ws}/proxies?token=${h.secret}`)).rejects.toMatchObject({ status: 400 });
    const clients = await Promise.all(['/traffic', '/connections', '/logs', '/switchyard/stats', '/memory'].map((p) => openStream(`${ws}${p}?token=${h.secret}`)));
    expect(h.controller.activeStreams).toBe(5);
    for (const c of clients) c.ws.terminate();
    await eventually(() => h.controller.activeStreams === 0 && h.logs.subscriberCount === 0, 'every stream to stop');
  });

  it('closing the controller ends every open stream', async () => {
    const other = await startApi(profileYaml());
    const client = await openStream(`ws://127.0.0.1:${other.address.port}/traffic?token=${other.secret}`);
    const lines = readLines(other.address.port, '/logs', other.secret, 1).catch(() => []);
    await eventually(() => other.controller.activeStreams === 2, 'both streams to open');
    const closed = new Promise((r) => client.ws.once('close', r));
    await other.close();
    await closed;
    await lines;
    expect(other.controller.activeStreams).toBe(0);
    expect(other.logs.subscriberCount).toBe(0);
  });
});
