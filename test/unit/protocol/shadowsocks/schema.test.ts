import { describe, expect, it } from 'vitest';
import { createShadowsocks, shadowsocksSchema } from '../../../../core/protocol/shadowsocks/index.js';
import { createProtocolRegistry } from '../../../../core/protocol/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { freePort } from '../../../helpers/ports.js';

const base = { name: 'jp1', type: 'ss', server: '127.0.0.1', port: 8388, cipher: 'aes-128-gcm', password: 'hunter2-secret' };

function issues(input: unknown) {
  const r = shadowsocksSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('ss profile entry', () => {
  it('accepts the Clash fields, with udp and weight', () => {
    const cfg = shadowsocksSchema.parse({ ...base, udp: true, weight: 2 });
    expect(cfg).toMatchObject({ cipher: 'aes-128-gcm', password: 'hunter2-secret', udp: true, weight: 2 });
  });

  it('reads a numeric YAML password as text, as Clash does', () => {
    expect(shadowsocksSchema.parse({ ...base, password: 123456 }).password).toBe('123456');
  });

  it('refuses an unknown cipher, listing the supported ones', () => {
    const [issue] = issues({ ...base, cipher: 'rc4-md5' });
    expect(issue?.path).toBe('cipher');
    expect(issue?.message).toMatch(/^expected one of aes-128-gcm, .*chacha20-ietf-poly1305.*2022-blake3-aes-128-gcm.*, got "rc4-md5"$/);
  });

  it('refuses a 2022 password that is not a base64 key of the right size, without repeating it', () => {
    const [issue] = issues({ ...base, cipher: '2022-blake3-aes-256-gcm', password: Buffer.alloc(16, 7).toString('base64') });
    expect(issue?.path).toBe('password');
    expect(issue?.message).toMatch(/base64 key of 32 bytes/);
    expect(issue?.message).not.toContain(Buffer.alloc(16, 7).toString('base64'));
    expect(issues({ ...base, cipher: '2022-blake3-aes-128-gcm', password: Buffer.alloc(16, 7).toString('base64') })).toEqual([]);
  });

  it('says that 2022 multi-user keys (iPSK:uPSK) are not supported', () => {
    const k = Buffer.alloc(16, 1).toString('base64');
    const [issue] = issues({ ...base, cipher: '2022-blake3-aes-128-gcm', password: `${k}:${k}` });
    expect(issue).toMatchObject({ path: 'password', message: expect.stringMatching(/multi-user keys \(iPSK:uPSK\) are not supported$/) });
    expect(issue?.message).not.toContain(k);
  });

  it('refuses a missing or empty password without echoing anything', () => {
    expect(issues({ ...base, password: undefined })).toEqual([{ path: 'password', message: 'expected a password string, got nothing' }]);
    expect(issues({ ...base, password: '' })).toEqual([{ path: 'password', message: 'expected a non-empty password' }]);
  });

  it('refuses a plugin it cannot carry, naming the field', () => {
    const [issue] = issues({ ...base, plugin: 'v2ray-plugin', 'plugin-opts': { mode: 'websocket' } });
    expect(issue?.path).toBe('plugin');
    expect(issue?.message).toMatch(/unsupported plugin "v2ray-plugin"/);
  });

  it('is reachable through the registry under type ss', () => {
    expect(createProtocolRegistry().get('ss').schema).toBe(shadowsocksSchema);
  });
});

describe('ss outbound errors', () => {
  it('a refused connection rejects the dial with CONNECTION_REFUSED, the outbound name and no password', async () => {
    const port = await freePort();
    const out = createShadowsocks(shadowsocksSchema.parse({ ...base, port }));
    const err = await out.dial({ host: 'example.com', port: 80 }, { meta: {} as never, chain: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ code: 'CONNECTION_REFUSED', outbound: 'jp1' });
    expect(String((err as Error).message)).not.toContain('hunter2');
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });

  it('an abort signal rejects the dial with ABORTED', async () => {
    const out = createShadowsocks(shadowsocksSchema.parse(base));
    const ctl = new AbortController();
    ctl.abort();
    await expect(out.dial({ host: 'example.com', port: 80 }, { meta: {} as never, chain: [], signal: ctl.signal })).rejects.toMatchObject({ code: 'ABORTED', outbound: 'jp1' });
  });
});
