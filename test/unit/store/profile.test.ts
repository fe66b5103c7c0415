import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useFreshStore } from '../../helpers/temp-store.js';
import { importProfileIntoStore, exportProfileFromStore } from '../../../core/store/profile.js';
import { loadProfile } from '../../../core/config/load.js';
import { stringifyProfile } from '../../../core/config/stringify.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';

const registry = createProtocolRegistry();
const PROFILE = `
mixed-port: 7891
allow-lan: false
authentication: ["me:secret"]
mode: rule
log-level: warning
external-controller: 127.0.0.1:9091
secret: s3cr3t
dns: { enable: true, nameserver: [1.1.1.1] }
proxies:
  - { name: jp1, type: ss, server: 203.0.113.1, port: 8388, cipher: aes-128-gcm, password: pw1, weight: 3 }
  - { name: "香港 01", type: vmess, server: 203.0.113.2, port: 443, uuid: 6b4e4a1c-3c0e-4a5b-9f1e-000000000001, alterId: 0, cipher: auto, network: ws, tls: true, ws-opts: { path: /ws } }
  - { name: tr, type: trojan, server: 203.0.113.3, port: 443, password: pw3, sni: example.com }
  - { name: s5, type: socks5, server: 203.0.113.4, port: 1080, username: u, password: p }
proxy-providers:
  sub1: { type: http, url: "http://127.0.0.1:9/sub?token=x", interval: 3600 }
proxy-groups:
  - { name: auto, type: load-balance, strategy: weighted-round-robin, proxies: [jp1, "香港 01", tr], backup: [s5], max-failed-times: 3 }
  - { name: pick, type: select, proxies: [auto, DIRECT] }
rules:
  - DOMAIN-SUFFIX,lan,DIRECT
  - IP-CIDR,10.0.0.0/8,DIRECT,no-resolve
  - MATCH,pick
`;

const fresh = useFreshStore('profile');
const { store } = fresh;

describe('profile in the store', () => {
  it('imports a profile and exports the same profile back', () => {
    const { profile } = loadProfile(PROFILE, registry);
    const report = importProfileIntoStore(store, profile, registry);
    expect(report).toEqual({ servers: 4, pools: 2, rules: 3, subscriptionsAdded: 1, notes: [] });
    const exported = exportProfileFromStore(store);
    expect(exported).toEqual(profile);
    // And as text: what export writes loads to the same profile.
    expect(loadProfile(stringifyProfile(exported), registry).profile).toEqual(profile);
  });

  it('keeps the user choices on a second import and leaves disabled servers out of the export', () => {
    const { profile } = loadProfile(PROFILE, registry);
    importProfileIntoStore(store, profile, registry);
    const tr = store.servers.list().find((s) => s.name === 'tr')!;
    store.servers.setEnabled(tr.id, false);
    importProfileIntoStore(store, profile, registry);
    expect(store.servers.list()).toHaveLength(4);
    expect(store.servers.get(tr.id)!.enabled).toBe(false);
    expect(store.subscriptions.list()).toHaveLength(1);
    expect(exportProfileFromStore(store).proxies.map((p) => p.name)).toEqual(['jp1', '香港 01', 's5']);
  });

  it('round-trips through the CLI: profile import, then profile export to a private file', () => {
    const input = path.join(fresh.dir, 'in.yaml');
    const output = path.join(fresh.dir, 'out.yaml');
    fs.writeFileSync(input, PROFILE);
    const bin = path.resolve(__dirname, '../../../bin/switchyard.mjs');
    const dataDir = path.join(fresh.dir, 'data');
    const imp = spawnSync(process.execPath, [bin, 'profile', 'import', input, '--data-dir', dataDir], { encoding: 'utf8' });
    expect(imp.status).toBe(0);
    expect(imp.stderr).toBe('warning: ignored unknown key "dns" at top level\n');
    expect(imp.stdout).toContain('4 servers, 2 pools, 3 rules, 1 new subscriptions stored in');
    const exp = spawnSync(process.execPath, [bin, 'profile', 'export', '--data-dir', dataDir, '-o', output], { encoding: 'utf8' });
    expect(exp.status).toBe(0);
    expect(fs.statSync(output).mode & 0o777).toBe(0o600);
    expect(loadProfile(fs.readFileSync(output, 'utf8'), registry).profile).toEqual(loadProfile(PROFILE, registry).profile);
  });
});
