import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createVmess, resolveSecurity, vmessSchema } from '../../../../core/protocol/vmess/index.js';
import { createProtocolRegistry } from '../../../../core/protocol/index.js';
import { createLogger } from '../../../../core/logger.js';

const UUID = '5783a3e7-e373-51cd-8642-c83782b807c5';
const base = { name: 'vm', type: 'vmess', server: 'example.com', port: 443, uuid: UUID };

function issues(input: unknown) {
  const r = vmessSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('vmess profile entry', () => {
  it('accepts a Clash vmess entry with ws over TLS', () => {
    const cfg = vmessSchema.parse({ ...base, alterId: 0, cipher: 'auto', tls: true, servername: 'cdn.example', network: 'ws', 'ws-opts': { path: '/v', headers: { Host: 'cdn.example' } } });
    expect(cfg.network).toBe('ws');
    expect(cfg['ws-opts']?.headers?.Host).toBe('cdn.example');
  });

  it('refuses alterId > 0, naming alterId and the legacy header', () => {
    expect(issues({ ...base, alterId: 64 })).toEqual([
      { path: 'alterId', message: expect.stringMatching(/legacy MD5 header.*not supported/) },
    ]);
  });

  it('refuses an unknown cipher and a network we do not carry, listing what is supported', () => {
    expect(issues({ ...base, cipher: 'zero' })).toEqual([{ path: 'cipher', message: 'expected one of auto, aes-128-gcm, chacha20-poly1305, none, got "zero"' }]);
    expect(issues({ ...base, network: 'grpc' })).toEqual([{ path: 'network', message: 'expected one of tcp, ws, got "grpc"' }]);
  });

  it('refuses a malformed uuid without repeating it', () => {
    const [issue] = issues({ ...base, uuid: 'not-a-uuid-secret' });
    expect(issue?.path).toBe('uuid');
    expect(issue?.message).not.toContain('secret');
  });

  it('is reachable through the registry under type vmess', () => {
    expect(createProtocolRegistry().get('vmess').schema).toBe(vmessSchema);
  });

  it('resolves cipher auto to aes-128-gcm on x64 and chacha20-poly1305 where AES is not a given', () => {
    expect(resolveSecurity('auto', 'x64')).toBe('aes-128-gcm');
    expect(resolveSecurity(undefined, 'x64')).toBe('aes-128-gcm');
    expect(resolveSecurity('auto', 'mips')).toBe('chacha20-poly1305');
    expect(resolveSecurity('none', 'x64')).toBe('none');
  });

  it('says once, at info, that client-fingerprint is ignored, without the uuid', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const logger = createLogger('info', sink);
    createVmess(vmessSchema.parse({ ...base, 'client-fingerprint': 'chrome' }), { logger });
    logger.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('client-fingerprint');
    expect(JSON.parse(lines[0]!).level).toBe(30);
    expect(lines[0]).not.toContain(UUID);
  });
});
