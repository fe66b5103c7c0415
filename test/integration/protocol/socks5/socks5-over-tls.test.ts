import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocks5 } from '../../../../core/protocol/socks5/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startMicrosocks, startTlsFront, type ReferenceServer, type TlsFront } from '../../../helpers/reference-servers.js';
import { getThrough } from '../http/raw-http.js';
import { dialContext } from '../http/dial-context.js';

const MiB = 1024 * 1024;

/** tls: true — SOCKS5 inside TLS: a TLS-terminating front with a self-signed certificate before microsocks. */
describe('socks5 outbound with tls: true (TLS front + microsocks)', () => {
  let target: HttpTarget;
  let socks: ReferenceServer;
  let front: TlsFront;

  beforeAll(async () => {
    target = await startHttpTarget();
    socks = await startMicrosocks({ user: 'dave', pass: 'tls-socks' });
    front = await startTlsFront(socks.port);
  });
  afterAll(async () => {
    await front?.stop();
    await Promise.all([socks?.stop(), target?.close()]);
  });

  const outbound = (skipCertVerify: boolean) =>
    createSocks5({
      name: 'socks-tls',
      type: 'socks5',
      server: '127.0.0.1',
      port: front.port,
      tls: true,
      'skip-cert-verify': skipCertVerify,
      username: 'dave',
      password: 'tls-socks',
    });

  it('refuses the self-signed certificate with TLS_FAILED when skip-cert-verify is false', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(outbound(false).dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'TLS_FAILED', outbound: 'socks-tls' });
  });

  it('downloads 20 MiB intact when skip-cert-verify is true', async () => {
    const res = await getThrough(outbound(true), '127.0.0.1', target.port, `/bytes/${20 * MiB}`);
    expect(res.sha256).toBe(expectedSha256(20 * MiB));
  });
});
