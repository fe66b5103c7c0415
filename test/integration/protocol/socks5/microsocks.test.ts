import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocks5 } from '../../../../core/protocol/socks5/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startMicrosocks, type ReferenceServer } from '../../../helpers/reference-servers.js';
import { freePort } from '../../../helpers/ports.js';
import { expectIntactDownload, expectIntactUpload, getThrough, uploadThrough } from '../http/raw-http.js';
import { expectAuthFailureHidingPassword } from '../../../helpers/dial-checks.js';
import { dialContext } from '../http/dial-context.js';

const MiB = 1024 * 1024;

describe('socks5 outbound through microsocks', () => {
  let target: HttpTarget;
  let open: ReferenceServer;
  let authed: ReferenceServer;

  beforeAll(async () => {
    target = await startHttpTarget();
    [open, authed] = await Promise.all([startMicrosocks(), startMicrosocks({ user: 'alice', pass: 's3cret-pw' })]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), authed?.stop(), target?.close()]);
  });

  const outbound = (server: ReferenceServer, extra: { username?: string; password?: string } = {}) =>
    createSocks5({ name: 'ms', type: 'socks5', server: '127.0.0.1', port: server.port, ...extra });

  it('downloads 20 MiB intact to an IPv4 destination', async () => {
    expectIntactDownload(await getThrough(outbound(open), '127.0.0.1', target.port, `/bytes/${20 * MiB}`), 20 * MiB);
  });

  it('uploads 8 MiB intact', async () => {
    const res = await uploadThrough(outbound(open), target.port, 8 * MiB);
    expect(res.status).toBe(200);
    expectIntactUpload(res, 8 * MiB);
  });

  it('sends a domain destination for the server to resolve (localhost)', async () => {
    const res = await getThrough(outbound(open), 'localhost', target.port, '/hello');
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello');
  });

  it('authenticates with username and password', async () => {
    const res = await getThrough(outbound(authed, { username: 'alice', password: 's3cret-pw' }), '127.0.0.1', target.port, `/bytes/${MiB}`);
    expect(res.sha256).toBe(expectedSha256(MiB));
  });

  it('reports a wrong password as UPSTREAM_AUTH_FAILED without revealing it', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    const err = await outbound(authed, { username: 'alice', password: 'wrong-pw-123' })
      .dial(dest, dialContext(dest))
      .catch((e: unknown) => e);
    expectAuthFailureHidingPassword(err, 'ms', 'wrong-pw-123');
  });

  it('reports a server that wants auth, dialed without credentials, as UPSTREAM_AUTH_FAILED', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(outbound(authed).dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
  });

  it('maps microsocks reply 0x05 for a closed target port to CONNECTION_REFUSED', async () => {
    const dest = { host: '127.0.0.1', port: await freePort() };
    const err = await outbound(open).dial(dest, dialContext(dest)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTION_REFUSED', outbound: 'ms' });
    expect((err as Error).message).toContain('0x05');
  });

  it('reports an unreachable SOCKS server as CONNECTION_REFUSED from the transport', async () => {
    const dead = createSocks5({ name: 'dead', type: 'socks5', server: '127.0.0.1', port: await freePort() });
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(dead.dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'CONNECTION_REFUSED', outbound: 'dead' });
  });
});
