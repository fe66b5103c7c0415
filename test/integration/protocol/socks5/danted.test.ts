import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocks5 } from '../../../../core/protocol/socks5/index.js';
import { startHttpTarget, type HttpTarget } from '../../../helpers/http-target.js';
import { startDanted, type ReferenceServer } from '../../../helpers/reference-servers.js';
import { freePort } from '../../../helpers/ports.js';
import { expectIntactDownload, expectIntactUpload, getThrough, uploadThrough } from '../http/raw-http.js';
import { dialContext } from '../http/dial-context.js';

const MiB = 1024 * 1024;

describe('socks5 outbound through dante (danted)', () => {
  let target: HttpTarget;
  let dante: ReferenceServer;

  beforeAll(async () => {
    target = await startHttpTarget();
    dante = await startDanted();
  });
  afterAll(async () => {
    await Promise.all([dante?.stop(), target?.close()]);
  });

  const outbound = () => createSocks5({ name: 'dante', type: 'socks5', server: '127.0.0.1', port: dante.port });

  it('downloads 20 MiB intact', async () => {
    expectIntactDownload(await getThrough(outbound(), '127.0.0.1', target.port, `/bytes/${20 * MiB}`), 20 * MiB, dante.output());
  });

  it('uploads 4 MiB intact', async () => {
    expectIntactUpload(await uploadThrough(outbound(), target.port, 4 * MiB), 4 * MiB);
  });

  it('resolves a domain destination on the server side', async () => {
    const res = await getThrough(outbound(), 'localhost', target.port, '/hello');
    expect(res.text).toBe('hello');
  });

  it('maps the reply for a closed target port to CONNECTION_REFUSED', async () => {
    const dest = { host: '127.0.0.1', port: await freePort() };
    await expect(outbound().dial(dest, dialContext(dest))).rejects.toMatchObject({ code: 'CONNECTION_REFUSED', outbound: 'dante' });
  });

  it('reports a target its rules forbid (outside 127.0.0.0/8) as UPSTREAM_REFUSED', async () => {
    // 192.0.2.1 is TEST-NET-1: dante's socks rule refuses it before any packet leaves the machine.
    const dest = { host: '192.0.2.1', port: 80 };
    const err = await outbound().dial(dest, dialContext(dest)).catch((e: unknown) => e);
    expect(err, dante.output()).toMatchObject({ code: 'UPSTREAM_REFUSED', outbound: 'dante' });
    expect((err as Error).message).toContain('0x02');
  });
});
