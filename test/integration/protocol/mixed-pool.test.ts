import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../helpers/http-target.js';
import { createSelfSignedCert, type SelfSignedCert } from '../../helpers/certs.js';
import { startV2ray, type RunningV2ray } from '../../helpers/v2ray.js';
import { startSsServer, type SsServer } from '../../helpers/ss-server.js';
import { curl, inParallel } from '../../helpers/clients.js';

/**
 * One round-robin pool of four encrypted protocols, each against its real server: Shadowsocks (ss-server),
 * VMess, VLESS over TLS and Trojan over TLS (v2ray 4.34). Every member must carry its share, intact.
 */
const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const PASSWORD = 'mixed-pool-secret';
let target: HttpTarget;
let cert: SelfSignedCert;
let ss: SsServer;
let vmess: RunningV2ray;
let vless: RunningV2ray;
let trojan: RunningV2ray;
let engine: Engine;
let port: number;

beforeAll(async () => {
  [target, cert, ss] = await Promise.all([startHttpTarget(), createSelfSignedCert(), startSsServer({ cipher: 'aes-128-gcm', password: PASSWORD })]);
  const tlsSettings = { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] };
  [vmess, vless, trojan] = await Promise.all([
    startV2ray({ protocol: 'vmess', settings: { clients: [{ id: UUID, alterId: 0 }] }, streamSettings: { network: 'ws', wsSettings: { path: '/vm' } } }),
    startV2ray({ protocol: 'vless', settings: { clients: [{ id: UUID }], decryption: 'none' }, streamSettings: { network: 'tcp', security: 'tls', tlsSettings } }),
    startV2ray({ protocol: 'trojan', settings: { clients: [{ password: PASSWORD }] }, streamSettings: { network: 'tcp', security: 'tls', tlsSettings } }),
  ]);
  const { profile } = loadProfile(
    `
proxies:
  - { name: ss, type: ss, server: 127.0.0.1, port: ${ss.port}, cipher: aes-128-gcm, password: ${PASSWORD} }
  - { name: vmess, type: vmess, server: 127.0.0.1, port: ${vmess.port}, uuid: ${UUID}, alterId: 0, cipher: aes-128-gcm, network: ws, ws-opts: { path: /vm } }
  - { name: vless, type: vless, server: 127.0.0.1, port: ${vless.port}, uuid: ${UUID}, tls: true, servername: localhost, skip-cert-verify: true }
  - { name: trojan, type: trojan, server: 127.0.0.1, port: ${trojan.port}, password: ${PASSWORD}, sni: localhost, skip-cert-verify: true }
proxy-groups:
  - { name: mixed, type: load-balance, strategy: round-robin, proxies: [ss, vmess, vless, trojan] }
rules:
  - MATCH,mixed
`,
    createProtocolRegistry(),
  );
  engine = new Engine(profile, { mixedPort: 0 });
  port = (await engine.start()).mixed.port;
});

afterAll(async () => {
  await engine?.stop();
  await Promise.all([ss, vmess, vless, trojan].map((s) => s?.stop()));
  await Promise.all([target?.close(), cert?.remove()]);
});

describe('a pool mixing every encrypted protocol', () => {
  it('spreads 20 downloads evenly over ss, vmess, vless and trojan, each body intact', async () => {
    const size = 2 * 1024 * 1024;
    const want = expectedSha256(size);
    const results = await inParallel(20, 4, () => curl(['--socks5-hostname', `127.0.0.1:${port}`, target.url(`/bytes/${size}`)]));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.sha256).toBe(want);
    }
    expect(['ss', 'vmess', 'vless', 'trojan'].map((n) => engine.stats.sample(n).connections)).toEqual([5, 5, 5, 5]);
    for (const n of ['ss', 'vmess', 'vless', 'trojan']) expect(engine.stats.sample(n).down, n).toBeGreaterThanOrEqual(5 * size);
  });
});
