import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { request } from '../../unit/api/harness.js';
import { body, startSubscriptionServer, status, type SubscriptionServer } from './subscription-server.js';

/** `switchyard import` and `switchyard servers` as a user runs them: node bin/switchyard.mjs, a temp data dir. */
const BIN = path.resolve(__dirname, '../../../bin/switchyard.mjs');
const FIXTURES = path.resolve(__dirname, '../../fixtures/subscriptions');
let subs: SubscriptionServer;
let dir: string;
let dataDir: string;

beforeAll(async () => {
  subs = await startSubscriptionServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cli-import-'));
  dataDir = path.join(dir, 'data');
});
afterAll(async () => {
  await subs?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWITCHYARD_DATA_DIR: '', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

interface Listed {
  id: string;
  name: string;
  type: string;
  server: string | null;
  port: number | null;
  subscription: string | null;
  enabled: boolean;
  weight: number;
  unsupportedReason: string | null;
}

describe('switchyard import / servers', () => {
  it('imports a URL, a file and a link into the data dir, and servers --json lists them without credentials', async () => {
    subs.route('/cli-sub', body(fs.readFileSync(path.join(FIXTURES, 'links.txt')), { 'profile-title': 'CLI Provider' }));
    const url = await cli(['import', subs.url('/cli-sub?token=cli-token'), '--data-dir', dataDir]);
    expect(url.err).toBe('');
    expect(url.code).toBe(0);
    expect(url.out).toMatch(/^subscription "CLI Provider" added \(id [0-9a-f-]{36}\)\n12 servers: 9 supported, 3 unsupported; 12 new\n/);
    expect(url.out).toContain('  unsupported: Hysteria (hysteria2): Hysteria 2 (hysteria2://) is not supported yet');
    expect(url.out).toContain(`stored in ${dataDir}`);

    const file = await cli(['import', path.join(FIXTURES, 'clash.yaml'), '--data-dir', dataDir]);
    expect(file.code).toBe(0);
    expect(file.out).toMatch(/^6 servers from the file, as manual servers: 4 supported, 2 unsupported; 6 new\n/);

    const link = `trojan://s3cret-pass@192.0.2.77:443?security=tls&sni=t.example.com#ignored`;
    const one = await cli(['import', link, '--data-dir', dataDir, '--name', 'My Trojan']);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^1 server as a manual server: 1 supported, 0 unsupported; 1 new\n/);

    const listed = await cli(['servers', '--data-dir', dataDir, '--json']);
    expect(listed.code).toBe(0);
    const servers = JSON.parse(listed.out) as Listed[];
    expect(servers).toHaveLength(12 + 6 + 1);
    expect(servers.filter((s) => s.subscription === 'CLI Provider')).toHaveLength(12);
    expect(servers.find((s) => s.name === 'My Trojan')).toMatchObject({ type: 'trojan', server: '192.0.2.77', port: 443, subscription: null, enabled: true, weight: 1, unsupportedReason: null });
    expect(servers.find((s) => s.name === 'hy2')).toMatchObject({ type: 'hysteria2', subscription: null, unsupportedReason: 'type "hysteria2" is not supported yet' });
    for (const s of servers) expect(Object.keys(s).sort()).toEqual(['enabled', 'id', 'name', 'outbound', 'port', 'server', 'subscription', 'subscriptionId', 'type', 'unsupportedReason', 'weight']);
    expect(listed.out).not.toMatch(/s3cret-pass|correct-horse|trojan-secret|b831381d|cli-token/);

    const table = await cli(['servers', '--data-dir', dataDir]);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+ADDRESS\s+SUBSCRIPTION\s+ENABLED\s+WEIGHT\s+UNSUPPORTED$/);
    expect(table.out).toMatch(/My Trojan\s+trojan\s+192\.0\.2\.77:443\s+\(manual\)\s+yes\s+1/);
    expect(table.out).not.toContain('s3cret-pass');
  });

  it('importing the same URL again refreshes it instead of adding a second one; a failed fetch exits 1', async () => {
    const again = await cli(['import', subs.url('/cli-sub?token=cli-token'), '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already stored, refreshed/);
    expect(again.out).toMatch(/12 servers: 9 supported, 3 unsupported; 0 new/);

    subs.route('/cli-down', status(500));
    const down = await cli(['import', subs.url('/cli-down'), '--data-dir', dataDir, '--name', 'Down']);
    expect(down.code).toBe(1);
    expect(down.out).toContain('subscription "Down" added');
    expect(down.out).toContain(`fetch failed: http://127.0.0.1:${subs.port} answered HTTP 500 Internal Server Error`);
  });

  it('refuses a link it cannot read, naming what is wrong, and reads SWITCHYARD_DATA_DIR', async () => {
    const bad = await cli(['import', 'vless://b831381d-6324-4d53-ad4f-8cda48b30811@host:abc#x', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('error: vless link: port: expected an integer 1-65535, got "abc"\n');
    const envDir = path.join(dir, 'from-env');
    const viaEnv = await cli(['import', 'ss://YWVzLTEyOC1nY206cHc@192.0.2.5:8388#env', '--data-dir', envDir]);
    expect(viaEnv.code).toBe(0);
    const listed = await cli(['servers', '--json'], { SWITCHYARD_DATA_DIR: envDir });
    expect((JSON.parse(listed.out) as Listed[]).map((s) => s.name)).toEqual(['env']);
  });

  it('run --data-dir serves the stored subscriptions on the controller', async () => {
    const [mixed, api] = [await freePort(), await freePort()];
    const profile = path.join(dir, 'run.yaml');
    fs.writeFileSync(profile, `mixed-port: ${mixed}\nexternal-controller: 127.0.0.1:${api}\nsecret: cli-secret\nrules:\n  - MATCH,DIRECT\n`);
    const child = spawn(process.execPath, [BIN, 'run', '-c', profile, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const deadline = Date.now() + 20_000;
      while (!out.includes('controller:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const res = await request(api, 'GET', '/switchyard/subscriptions', {}, 'cli-secret');
      expect(res.status).toBe(200);
      expect(res.json.subscriptions.map((s: { name: string }) => s.name).sort()).toEqual(['CLI Provider', 'Down']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
