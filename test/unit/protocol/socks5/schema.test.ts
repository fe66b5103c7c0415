import { describe, expect, it } from 'vitest';
import { socks5Schema } from '../../../../core/protocol/socks5/index.js';
import { createProtocolRegistry } from '../../../../core/protocol/index.js';

const valid = { name: 'jp-socks', type: 'socks5', server: 'proxy.example', port: 1080 };

/** Messages are path-free here; the profile loader prefixes `proxies[2].port:`. */
function issues(input: unknown): { path: string; message: string }[] {
  const r = socks5Schema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('socks5 profile entry', () => {
  it.each([
    ['missing server', { ...valid, server: undefined }, { path: 'server', message: 'expected a host name or IP address, got nothing' }],
    ['port "x"', { ...valid, port: 'x' }, { path: 'port', message: 'expected an integer 1-65535, got "x"' }],
    ['port 70000', { ...valid, port: 70000 }, { path: 'port', message: 'expected an integer 1-65535, got 70000' }],
    ['tls "yes"', { ...valid, tls: 'yes' }, { path: 'tls', message: 'expected true or false, got "yes"' }],
    ['password a list', { ...valid, password: ['a'] }, { path: 'password', message: 'expected a string, got a list' }],
    ['username over 255 bytes', { ...valid, username: 'ü'.repeat(128) }, { path: 'username', message: 'expected at most 255 bytes' }],
  ])('rejects %s', (_what, input, issue) => {
    expect(issues(input)).toEqual([issue]);
  });

  it('accepts the Clash fields and reads a numeric password as text', () => {
    const parsed = socks5Schema.parse({ ...valid, username: 'u', password: 123456, tls: true, 'skip-cert-verify': true, udp: true });
    expect(parsed).toMatchObject({ username: 'u', password: '123456', tls: true, 'skip-cert-verify': true, udp: true });
  });

  it('is registered under the Clash type socks5 and builds an outbound of that type', () => {
    const def = createProtocolRegistry().get('socks5');
    const outbound = def.create(def.schema.parse(valid), { logger: undefined as never });
    expect(outbound).toMatchObject({ name: 'jp-socks', type: 'socks5' });
  });
});
