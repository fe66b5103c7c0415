import { describe, expect, it } from 'vitest';
import { httpSchema } from '../../../../core/protocol/http/index.js';
import { createProtocolRegistry } from '../../../../core/protocol/index.js';

const valid = { name: 'office', type: 'http', server: '10.0.0.8', port: 3128 };

/** Messages are path-free here; the profile loader prefixes `proxies[2].port:`. */
function issues(input: unknown): { path: string; message: string }[] {
  const r = httpSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('http profile entry', () => {
  it.each([
    ['missing server', { ...valid, server: undefined }, { path: 'server', message: 'expected a host name or IP address, got nothing' }],
    ['port "x"', { ...valid, port: 'x' }, { path: 'port', message: 'expected an integer 1-65535, got "x"' }],
    ['empty sni', { ...valid, sni: '' }, { path: 'sni', message: 'expected a host name, got ""' }],
    ['skip-cert-verify "no"', { ...valid, 'skip-cert-verify': 'no' }, { path: 'skip-cert-verify', message: 'expected true or false, got "no"' }],
    ['headers a list', { ...valid, headers: ['a'] }, { path: 'headers', message: 'expected a mapping of header names to strings, got a list' }],
    ['a header name with a space', { ...valid, headers: { 'Bad Name': 'x' } }, { path: 'headers.Bad Name', message: 'expected a valid HTTP header, got "Bad Name"' }],
    ['a header value with CR/LF', { ...valid, headers: { 'X-A': 'a\r\nInjected: 1' } }, { path: 'headers.X-A', message: 'expected a valid HTTP header, got "X-A"' }],
  ])('rejects %s', (_what, input, issue) => {
    expect(issues(input)).toEqual([issue]);
  });

  it('accepts the Clash fields and reads a numeric password as text', () => {
    const parsed = httpSchema.parse({
      ...valid,
      username: 'u',
      password: 2024,
      tls: true,
      sni: 'proxy.example',
      'skip-cert-verify': false,
      headers: { 'User-Agent': 'switchyard' },
    });
    expect(parsed).toMatchObject({ password: '2024', tls: true, sni: 'proxy.example', headers: { 'User-Agent': 'switchyard' } });
  });

  it('is registered under the Clash type http and builds an outbound of that type', () => {
    const def = createProtocolRegistry().get('http');
    const outbound = def.create(def.schema.parse(valid), { logger: undefined as never });
    expect(outbound).toMatchObject({ name: 'office', type: 'http' });
  });
});
