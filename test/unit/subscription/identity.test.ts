import { describe, expect, it } from 'vitest';
import { assignServerIds, serverKey, identityFields } from '../../../core/subscription/identity.js';
import type { ProxyConfig, UnsupportedEntry } from '../../../core/subscription/types.js';

const ss = (name: string, over: Partial<ProxyConfig> = {}): ProxyConfig => ({ name, type: 'ss', server: '198.51.100.1', port: 8388, cipher: 'aes-128-gcm', password: 'pw', ...over });

describe('server identity', () => {
  it('ignores the name and unrelated fields, so a renamed node keeps its id', () => {
    const [a] = assignServerIds('sub1', [ss('HK 01 | 1.0x')]);
    const [b] = assignServerIds('sub1', [ss('HK 01 | 2.0x 🔥', { udp: true, cipher: 'aes-256-gcm' })]);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with the subscription, type, server, port and credential', () => {
    const base = assignServerIds('sub1', [ss('x')])[0];
    const variants = [
      assignServerIds('sub2', [ss('x')])[0],
      assignServerIds(null, [ss('x')])[0],
      assignServerIds('sub1', [ss('x', { type: 'trojan' })])[0],
      assignServerIds('sub1', [ss('x', { server: '198.51.100.2' })])[0],
      assignServerIds('sub1', [ss('x', { port: 8389 })])[0],
      assignServerIds('sub1', [ss('x', { password: 'other' })])[0],
    ];
    expect(new Set([base, ...variants]).size).toBe(7);
  });

  it('uses the uuid for vmess/vless and username:password for socks5/http; host names ignore case', () => {
    expect(identityFields({ name: 'v', type: 'vless', server: 'SG.Example.com', port: 443, uuid: 'u-1', password: 'ignored' })).toEqual({ type: 'vless', server: 'sg.example.com', port: '443', credential: 'u-1' });
    expect(identityFields({ name: 's', type: 'socks5', server: '192.0.2.1', port: 1080, username: 'user', password: 'pw' }).credential).toBe('user:pw');
    expect(identityFields({ name: 'h', type: 'http', server: '192.0.2.1', port: 3128 }).credential).toBe('');
  });

  it('keys an unsupported link by the link without its #name, and a YAML entry by its fields', () => {
    const link = (name: string): UnsupportedEntry => ({ unsupported: true, scheme: 'hysteria2', link: `hysteria2://secret@hy.example.com:443?sni=x#${name}`, name, reason: 'no' });
    const [a] = assignServerIds('s', [link('Old')]);
    const [b] = assignServerIds('s', [link('New')]);
    expect(a).toBe(b);
    const yaml: UnsupportedEntry = { unsupported: true, scheme: 'tuic', proxy: { name: 'T', type: 'tuic', server: 'tuic.example.com', port: 443, uuid: 'u', password: 'p' }, name: 'T', reason: 'no' };
    expect(identityFields(yaml)).toEqual({ type: 'tuic', server: 'tuic.example.com', port: '443', credential: 'u' });
  });

  it('numbers true duplicates -2, -3 in body order', () => {
    const key = serverKey('s', identityFields(ss('a')));
    expect(assignServerIds('s', [ss('a'), ss('b', { port: 1 }), ss('c'), ss('d')])).toEqual([key, serverKey('s', identityFields(ss('b', { port: 1 }))), `${key}-2`, `${key}-3`]);
  });
});
