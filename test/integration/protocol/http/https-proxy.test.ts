import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProxy } from '../../../../core/protocol/http/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startTinyproxy, startTlsFront, type ReferenceServer, type TlsFront } from '../../../helpers/reference-servers.js';
import { getThrough } from './raw-http.js';
import { dialContext } from './dial-context.js';

const MiB = 1024 * 1024;

/** tls: true — an HTTPS proxy: a TLS-terminating front with a self-signed certificate before tinyproxy. */
describe('http outbound to an HTTPS proxy (TLS front + tinyproxy)', () => {
  let target: HttpTarget;
  let proxy: ReferenceServer;
  let front: TlsFront;

  beforeAll(async () => {
    target = await startHttpTarget();
    proxy = await startTinyproxy({ connectPorts: [target.port], user: 'carol', pass: 'over-tls' });
    front = await startTlsFront(proxy.port);
  });
  afterAll(async () => {
    await front?.stop();
    await Promise.all([proxy?.stop(), target?.close()]);
  });

  const outbound = (skipCertVerify: boolean, sni?: string) =>
    createHttpProxy({
      name: 'https-proxy',
      type: 'http',
      server: '127.0.0.1',
      port: front.port,
      tls: true,
      sni,
      'skip-cert-verify': skipCertVerify,
      username: 'carol',
      password: 'over-tls',
    });

  it('refuses the self-signed certificate with TLS_FAILED when skip-cert-verify is false', async () => {
    const dest = { host: '127.0.0.1', port: target.port };
    await expect(outbound(false, 'localhost').dial(dest, dialContext(dest))).rejects.toMatchObject({
      code: 'TLS_FAILED',
      outbound: 'https-proxy',
    });
  });

  it('tunnels 20 MiB intact when skip-cert-verify is true', async () => {
    const res = await getThrough(outbound(true, 'localhost'), '127.0.0.1', target.port, `/bytes/${20 * MiB}`);
    expect(res.status, proxy.output()).toBe(200);
    expect(res.sha256).toBe(expectedSha256(20 * MiB));
  });
});
