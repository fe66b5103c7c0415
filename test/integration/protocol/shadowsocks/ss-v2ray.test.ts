import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShadowsocks, shadowsocksSchema } from '../../../../core/protocol/shadowsocks/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startV2ray, type RunningV2ray } from '../../../helpers/v2ray.js';
import { dialContext, downloadThrough, failureOf, uploadThrough } from '../vless/transfer.js';

/** v2ray 4.34's shadowsocks inbound (AEAD only) with a freedom outbound. */
const CIPHERS = ['aes-128-gcm', 'chacha20-ietf-poly1305'] as const;
const PASSWORD = 'v2ray-ss-password';
const SIZE = 20 * 1024 * 1024;

let target: HttpTarget;
const servers = {} as Record<(typeof CIPHERS)[number], RunningV2ray>;

beforeAll(async () => {
  target = await startHttpTarget();
  // v2ray holds a connection whose header it could not read for `handshake` seconds, then closes it.
  const policy = { policy: { levels: { 0: { handshake: 2 } } } };
  const started = await Promise.all(
    CIPHERS.map((method) => startV2ray({ protocol: 'shadowsocks', settings: { method, password: PASSWORD, network: 'tcp' } }, policy)),
  );
  CIPHERS.forEach((c, i) => (servers[c] = started[i]!));
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await target?.close();
});

const outbound = (cipher: (typeof CIPHERS)[number], password = PASSWORD) =>
  createShadowsocks(shadowsocksSchema.parse({ name: `v2-${cipher}`, type: 'ss', server: '127.0.0.1', port: servers[cipher].port, cipher, password }));

describe.each(CIPHERS)('v2ray shadowsocks inbound %s', (cipher) => {
  it('downloads 20 MiB with the right hash', async () => {
    const stream = await outbound(cipher).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const res = await downloadThrough(stream, target.port, SIZE);
    expect(res).toMatchObject({ status: 200, bytes: SIZE, sha256: expectedSha256(SIZE) });
  });

  it('uploads 20 MiB to a domain target with the right hash', async () => {
    const stream = await outbound(cipher).dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port));
    expect(await uploadThrough(stream, target.port, SIZE)).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
  });
});

describe('v2ray with the wrong password', () => {
  it('fails with UPSTREAM_AUTH_FAILED once v2ray gives up on the header, without our side ending', async () => {
    const started = Date.now();
    const stream = await outbound('aes-128-gcm', 'not-the-v2ray-secret').dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    const err = await failureOf(stream, 10_000);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: 'v2-aes-128-gcm' });
    expect(err.message).toMatch(/wrong password or cipher\?/);
    expect(err.message).not.toContain('not-the-v2ray-secret');
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
