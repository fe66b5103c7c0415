import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShadowsocks, shadowsocksSchema } from '../../../../core/protocol/shadowsocks/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { hasObfsServer, startSsServer, type SsServer } from '../../../helpers/ss-server.js';
import { dialContext, downloadThrough, failureOf, uploadThrough } from '../vless/transfer.js';

/**
 * Clash `plugin: obfs` against simple-obfs's own obfs-server (Debian package simple-obfs) in front of
 * ss-server. Skipped, saying so, where simple-obfs is not installed.
 */
const installed = hasObfsServer();
const MODES = ['http', 'tls'] as const;
const PASSWORD = 'obfs-test-password';
const SIZE = 20 * 1024 * 1024;

let target: HttpTarget;
const servers = {} as Record<(typeof MODES)[number], SsServer>;

beforeAll(async () => {
  if (!installed) return;
  target = await startHttpTarget();
  const started = await Promise.all(MODES.map((obfs) => startSsServer({ cipher: 'chacha20-ietf-poly1305', password: PASSWORD, obfs })));
  MODES.forEach((m, i) => (servers[m] = started[i]!));
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await target?.close();
});

const outbound = (mode: (typeof MODES)[number], password = PASSWORD) =>
  createShadowsocks(
    shadowsocksSchema.parse({
      name: `obfs-${mode}`,
      type: 'ss',
      server: '127.0.0.1',
      port: servers[mode].port,
      cipher: 'chacha20-ietf-poly1305',
      password,
      plugin: 'obfs',
      'plugin-opts': { mode, host: 'www.example.com' },
    }),
  );

describe.skipIf(!installed).each(MODES)('obfs %s in front of ss-server', (mode) => {
  it('downloads 20 MiB with the right hash', async () => {
    const stream = await outbound(mode).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const res = await downloadThrough(stream, target.port, SIZE);
    expect(res, servers[mode].output()).toMatchObject({ status: 200, bytes: SIZE, sha256: expectedSha256(SIZE) });
  });

  it('uploads 20 MiB to a domain target with the right hash', async () => {
    const stream = await outbound(mode).dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port));
    expect(await uploadThrough(stream, target.port, SIZE)).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
  });

  it('only the right disguise gets through (obfs-server sends anything else to a closed failover port)', async () => {
    const other = mode === 'http' ? 'tls' : 'http';
    const port = servers[mode].port;
    for (const extra of [{}, { plugin: 'obfs', 'plugin-opts': { mode: other } }]) {
      const out = createShadowsocks(shadowsocksSchema.parse({ name: 'undisguised', type: 'ss', server: '127.0.0.1', port, cipher: 'chacha20-ietf-poly1305', password: PASSWORD, ...extra }));
      const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
      const failure = failureOf(stream, 5000);
      stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
      await expect(failure).resolves.toMatchObject({ outbound: 'undisguised' });
    }
  });

  it('a wrong password still surfaces as UPSTREAM_AUTH_FAILED through the disguise', async () => {
    const stream = await outbound(mode, 'not-the-obfs-secret').dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const failure = failureOf(stream, 5000);
    stream.end(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    const err = await failure;
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: `obfs-${mode}` });
    expect(err.message).not.toContain('not-the-obfs-secret');
  });
});

it.skipIf(installed)('obfs tests need simple-obfs (apt-get install simple-obfs)', () => {
  expect(installed).toBe(false);
});
