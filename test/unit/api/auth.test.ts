import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTables } from '../../../core/api/routes/index.js';
import type { RouteDef } from '../../../core/api/types.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { eventually, openStream, profileYaml, request, startApi, TEST_SECRET, type ApiHarness } from './harness.js';

/** Path parameters and bodies that make each route do its (quick, local) work when authorized. */
let target: HttpTarget;
const hello = () => encodeURIComponent(target.url('/hello'));
const SAMPLE: Record<string, { path?: string; body?: unknown }> = {
  'GET /group/:name': { path: '/group/manual' },
  get 'GET /group/:name/delay'() {
    return { path: `/group/auto/delay?url=${hello()}&timeout=2000` };
  },
  get 'GET /proxies/:name/delay'() {
    return { path: `/proxies/jp1/delay?url=${hello()}&timeout=2000` };
  },
  'PUT /proxies/:name': { path: '/proxies/manual', body: { name: 'jp1' } },
  'PATCH /configs': { body: { mode: 'rule' } },
  'GET /providers/proxies/:name': { path: '/providers/proxies/default' },
  'PUT /providers/proxies/:name': { path: '/providers/proxies/default' },
  'POST /switchyard/speedtest/:name': { path: '/switchyard/speedtest/jp1', body: { url: 'http://127.0.0.1:9/' } },
};

const allRoutes: RouteDef[] = routeTables.flat();

function concretePath(route: RouteDef): string {
  return SAMPLE[`${route.method} ${route.path}`]?.path ?? route.path.replace(/:(\w+)/g, (_, p: string) => (p === 'id' ? 'no-such-id' : 'jp1'));
}

/** The status line only: streams never end, so the response is dropped once its head arrives. */
function statusOf(port: number, method: string, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, headers, agent: false }, (res) => {
      if (res.statusCode === 200 && res.headers['content-length'] === undefined) {
        res.destroy();
        return resolve({ status: 200, headers: res.headers, body: '' });
      }
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('controller security', () => {
  let h: ApiHarness;
  let uiDir: string;

  beforeAll(async () => {
    target = await startHttpTarget();
    uiDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-ui-'));
    await mkdir(path.join(uiDir, 'assets'));
    await writeFile(path.join(uiDir, 'index.html'), '<!doctype html><title>ui index</title>');
    await writeFile(path.join(uiDir, 'assets', 'app.js'), 'console.log("app")');
    h = await startApi(profileYaml(), { uiDir, allowedOrigins: ['https://metacubex.github.io'] });
  });

  afterAll(async () => {
    await h?.close();
    await rm(uiDir, { recursive: true, force: true });
    await target?.close();
  });

  it('lists every route module (a new route is covered here automatically)', () => {
    expect(allRoutes.length).toBeGreaterThan(20);
  });

  it.each(allRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers 401 {message} without the secret', async (_, route) => {
    const p = concretePath(route);
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-secret' }, { authorization: `Basic ${TEST_SECRET}` }, { authorization: TEST_SECRET }];
    for (const headers of attempts) {
      const res = await statusOf(h.address.port, route.method, p, headers);
      expect(res.status, `${route.method} ${p} with ${JSON.stringify(headers)}`).toBe(401);
      expect(JSON.parse(res.body)).toEqual({ message: expect.stringMatching(/^Unauthorized/) });
    }
    // ?token= is for WebSocket upgrades only.
    const withToken = await statusOf(h.address.port, route.method, `${p}${p.includes('?') ? '&' : '?'}token=${TEST_SECRET}`);
    expect(withToken.status).toBe(401);
  });

  it.each(allRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s is served with the secret', async (_, route) => {
    const p = concretePath(route);
    if (!route.handle) {
      const res = await statusOf(h.address.port, route.method, p, { authorization: `Bearer ${TEST_SECRET}` });
      expect(res.status).toBe(200);
      return;
    }
    const res = await h.call(route.method, p, { body: SAMPLE[`${route.method} ${route.path}`]?.body });
    expect(res.status, `${route.method} ${p}: ${res.text}`).not.toBe(401);
    expect(res.status, `${route.method} ${p}: ${res.text}`).toBeLessThan(500);
  });

  it('accepts the secret as ?token= on a WebSocket upgrade, or the header; refuses a wrong or missing one', async () => {
    const ws = `ws://127.0.0.1:${h.address.port}/traffic`;
    const byToken = await openStream(`${ws}?token=${TEST_SECRET}`);
    await byToken.waitFrames(1);
    await byToken.close();
    const byHeader = await openStream(ws, { authorization: `Bearer ${TEST_SECRET}` });
    await byHeader.waitFrames(1);
    await byHeader.close();
    await expect(openStream(`${ws}?token=wrong`)).rejects.toMatchObject({ status: 401 });
    await expect(openStream(ws)).rejects.toMatchObject({ status: 401 });
    // A wrong token is not rescued by a right header: the token was offered and is checked.
    await expect(openStream(`${ws}?token=wrong`, { authorization: `Bearer ${TEST_SECRET}` })).rejects.toMatchObject({ status: 401 });
    await eventually(() => h.controller.activeStreams === 0, 'streams to stop');
  });

  it('answers the OPTIONS preflight without the secret, allowing only its own and the listed origins', async () => {
    const own = h.address.url;
    const preflight = (origin: string, extra: Record<string, string> = {}) =>
      statusOf(h.address.port, 'OPTIONS', '/proxies/jp1', { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type', ...extra });

    for (const origin of [own, `http://localhost:${h.address.port}`, 'https://metacubex.github.io']) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type');
      expect(res.headers['access-control-allow-methods']?.split(', ').sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
    }
    const stranger = await preflight('https://evil.example');
    expect(stranger.status).toBe(204);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    expect(stranger.headers['access-control-allow-methods']).toBeUndefined();

    const pna = await preflight('https://metacubex.github.io', { 'access-control-request-private-network': 'true' });
    expect(pna.headers['access-control-allow-private-network']).toBe('true');

    // The actual request carries the header too, so the dashboard may read the answer.
    const actual = await h.call('GET', '/version', { headers: { origin: 'https://metacubex.github.io' } });
    expect(actual.headers['access-control-allow-origin']).toBe('https://metacubex.github.io');
    const refused = await h.call('GET', '/version', { headers: { origin: 'https://evil.example' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves /ui without the secret: files, index.html for app routes, never a file outside the build', async () => {
    const redirect = await statusOf(h.address.port, 'GET', '/ui');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/ui/');
    const index = await request(h.address.port, 'GET', '/ui/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('ui index');
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    const asset = await request(h.address.port, 'GET', '/ui/assets/app.js');
    expect(asset.text).toBe('console.log("app")');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    const appRoute = await request(h.address.port, 'GET', '/ui/proxies/settings');
    expect(appRoute.text).toContain('ui index');
    const encodedSlashes = await request(h.address.port, 'GET', '/ui/..%2F..%2F..%2F..%2Fetc%2Fpasswd');
    expect(encodedSlashes.status).toBe(200);
    expect(encodedSlashes.text).toContain('ui index');
    // Encoded dots are dot segments to a URL parser: this is the API path /package.json, which needs the secret.
    const encodedDots = await request(h.address.port, 'GET', '/ui/%2E%2E/%2E%2E/package.json');
    expect(encodedDots.status).toBe(401);
    expect(encodedDots.text).not.toContain('"version"');
  });

  it('reads a request target starting with // as a path, never as a host', async () => {
    expect((await statusOf(h.address.port, 'GET', '//ui.example/ui/')).status).toBe(401);
    const res = await h.call('GET', '//evil.example/version');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: 'no route for GET //evil.example/version' });
  });

  it('never writes the secret into a log line', async () => {
    await h.call('GET', `/proxies/nope?token=${TEST_SECRET}`);
    await h.call('PATCH', '/configs', { body: { mode: 'global' } });
    await h.call('PATCH', '/configs', { body: { mode: 'rule' } });
    await statusOf(h.address.port, 'GET', `/configs?token=${TEST_SECRET}`, { authorization: 'Bearer wrong' });
    await expect(openStream(`ws://127.0.0.1:${h.address.port}/nope?token=${TEST_SECRET}`)).rejects.toMatchObject({ status: 404 });
    expect(h.logLines.length).toBeGreaterThan(2);
    expect(h.logLines.join('')).not.toContain(TEST_SECRET);
  });
});

describe('controller secret', () => {
  it('is generated at start when the profile has none: 32 base64url characters, in the UI link, different each run', async () => {
    const a = await startApi(profileYaml({ secret: null }));
    const b = await startApi(profileYaml({ secret: null }));
    try {
      expect(a.address.secretGenerated).toBe(true);
      expect(a.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(a.secret).not.toBe(b.secret);
      expect(a.address.uiUrl).toBe(`${a.address.url}/ui/#/?token=${a.secret}`);
      expect((await a.call('GET', '/version')).status).toBe(200);
      expect((await a.call('GET', '/version', { auth: false })).status).toBe(401);
      expect((await a.call('GET', '/version', { headers: { authorization: `Bearer ${b.secret}` } })).status).toBe(401);
      expect(a.logLines.join('')).not.toContain(a.secret);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("uses the profile's secret when it has one", async () => {
    const h = await startApi(profileYaml());
    try {
      expect(h.secret).toBe(TEST_SECRET);
      expect(h.address.secretGenerated).toBe(false);
      expect(h.address.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await h.close();
    }
  });

  it('serves a one-line page at /ui when the UI is not built', async () => {
    const h = await startApi(profileYaml(), { uiDir: path.join(os.tmpdir(), 'switchyard-no-such-ui-dir') });
    try {
      const res = await request(h.address.port, 'GET', '/ui/');
      expect(res.status).toBe(200);
      expect(res.text).toContain('UI is not built');
    } finally {
      await h.close();
    }
  });
});
