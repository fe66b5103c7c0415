import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProxy } from '../../../../core/protocol/http/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startTinyproxy, type ReferenceServer } from '../../../helpers/reference-servers.js';
import { freePort } from '../../../helpers/ports.js';
import { expectIntactDownload, expectIntactUpload, getThrough, uploadThrough } from './raw-http.js';
import { expectAuthFailureHidingPassword } from '../../../helpers/dial-checks.js';
import { dialContext } from './dial-context.js';

const MiB = 1024 * 1024;

describe('http outbound through tinyproxy', () => {
  let target: HttpTarget;
  let open: ReferenceServer;
  let authed: ReferenceServer;

  beforeAll(async () => {
    target = await startHttpTarget();
    [open, authed] = await Promise.all([
      startTinyproxy({ connectPorts: [target.port] }),
      startTinyproxy({ connectPorts: [target.port], user: 'bob', pass: 'tiny-pass-9' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), authed?.stop(), target?.close()]);
  });

  const outbound = (server: ReferenceServer, extra: { username?: string; password?: string } = {}) =>
    createHttpProxy({ name: 'tp', type: 'http', server: '127.0.0.1', port: server.port, ...extra });

  it('downloads 20 MiB intact through CONNECT', async () => {
    expectIntactDownload(await getThrough(outbound(open), '127.0.0.1', target.port, `/bytes/${20 * MiB}`), 20 * MiB, open.output());
  });

  it('uploads 8 MiB intact', async () => {
    expectIntactUpload(await uploadThrough(outbound(open), target.port, 8 * MiB), 8 * MiB);
  });

  it('tunnels to a domain destination', async () => {
    expect((await getThrough(outbound(open), 'localhost', target.port, '/hello')).text).toBe('hello');
  });

  it('authenticates with Basic credentials', async () => {
    const res = await getThrough(outbound(authed, { username: 'bob', password: 'tiny-pass-9' }), '127.0.0.1', target.port, `/bytes/${MiB}`);
    expect(res.sha256).toBe(expectedSha256(MiB));
  });

  // tinyproxy 1.11 answers a wrong password with 401 rather than 407; both mean our credentials failed.
  it('reports a wrong password (401 from tinyproxy) as UPSTREAM_AUTH_FAILED without revealing it', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    const err = await outbound(authed, { username: 'bob', password: 'not-the-pass' })
      .dial(dest, dialContext(dest))
      .catch((e: unknown) => e);
    expectAuthFailureHidingPassword(err, 'tp', 'not-the-pass');
    expect((err as Error).message).toMatch(/HTTP 40[17]/);
  });

  it('reports 407 without credentials as UPSTREAM_AUTH_FAILED', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(outbound(authed).dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
  });

  it('reports a port outside ConnectPort (403) as UPSTREAM_REFUSED with the status', async () => {
    const dest = { host: '127.0.0.1', port: await freePort() };
    const err = await outbound(open).dial(dest, dialContext(dest)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_REFUSED', outbound: 'tp' });
    expect((err as Error).message).toContain('HTTP 403');
  });

  it('reports a closed target port behind the proxy as UPSTREAM_REFUSED with the status', async () => {
    const anyPort = await startTinyproxy();
    try {
      const dest = { host: '127.0.0.1', port: await freePort() };
      const err = await outbound(anyPort).dial(dest, dialContext(dest)).catch((e: unknown) => e);
      expect(err, anyPort.output()).toMatchObject({ code: 'UPSTREAM_REFUSED', outbound: 'tp' });
      expect((err as Error).message).toMatch(/HTTP 5\d\d/);
    } finally {
      await anyPort.stop();
    }
  });

  it('reports an unreachable proxy as CONNECTION_REFUSED from the transport', async () => {
    const dead = createHttpProxy({ name: 'dead', type: 'http', server: '127.0.0.1', port: await freePort() });
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(dead.dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'CONNECTION_REFUSED', outbound: 'dead' });
  });
});
