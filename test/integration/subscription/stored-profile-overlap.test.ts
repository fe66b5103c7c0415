import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/index.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { openRunData, type RunData } from '../../../core/run-data.js';
import { importProfileIntoStore } from '../../../core/store/profile.js';
import { createLogger, type Logger } from '../../../core/logger.js';
import { startSubscriptionServer, type SubscriptionServer } from './subscription-server.js';

/**
 * A profile and the store often describe the same servers (`switchyard profile import` of the very profile
 * the core then runs, a subscription that is also the profile's proxy-provider): the engine must not run
 * them twice, and must say so once.
 */
let dir: string | undefined;
let data: RunData | undefined;
let engine: Engine | undefined;
let subs: SubscriptionServer | undefined;

afterEach(async () => {
  await engine?.stop();
  data?.subscriptions.stop();
  data?.store.close();
  await subs?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  engine = data = subs = dir = undefined;
});

/** A real pino logger whose warning lines land in `lines`. */
function recordingLogger(lines: string[]): Logger {
  return createLogger('warning', { write: (line: string) => void lines.push(line) });
}

describe('stored servers that the profile already has', () => {
  it('runs a profile proxy once although profile import also stored it, and a stored copy of a profile provider not at all', async () => {
    subs = await startSubscriptionServer();
    subs.route('/feed', (_req, res) => res.writeHead(200).end('proxies:\n  - { name: fed, type: socks5, server: 127.0.0.1, port: 1081 }\n'));
    const registry = createProtocolRegistry();
    const { profile } = loadProfile(
      `mixed-port: 7890
proxies:
  - { name: vps, type: socks5, server: 127.0.0.1, port: 1080 }
proxy-providers:
  feed: { type: http, url: "${subs.url('/feed')}" }
proxy-groups:
  - { name: all, type: load-balance, strategy: round-robin, include-all-providers: true, proxies: [vps] }
rules:
  - MATCH,all
`,
      registry,
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-overlap-'));
    const warnings: string[] = [];
    const logger = recordingLogger(warnings);
    data = await openRunData(dir, registry, logger, () => undefined);
    importProfileIntoStore(data.store, profile, registry); // stores vps as a manual server, feed as a subscription
    data.store.servers.replaceForSubscription(data.store.subscriptions.list()[0]!.id, [
      { id: 'fed-copy', name: 'fed', type: 'socks5', config: { name: 'fed', type: 'socks5', server: '127.0.0.1', port: 1081 } },
    ]);
    // A server added by hand that the profile does not have does run.
    data.store.servers.addManual([{ id: 'mine', name: 'mine', type: 'socks5', config: { name: 'mine', type: 'socks5', server: '127.0.0.1', port: 1082 } }]);

    engine = new Engine(profile, { registry, logger, mixedPort: 0, stored: data.stored });
    await engine.start();
    expect(engine.pools.get('all')!.memberNames().members).toEqual(['vps', 'fed', 'mine']);
    expect(engine.providers.list().map((p) => p.name)).toEqual(['feed', 'Manual']);
    expect(warnings.filter((w) => w.includes('also a proxy-provider of the profile'))).toHaveLength(1);
    const vpsRecord = data.store.servers.listForSubscription(null).find((s) => s.name === 'vps')!;
    expect(engine.stored!.outboundName(vpsRecord.id)).toBeUndefined();
    expect(engine.stored!.outboundName('mine')).toBe('mine');
  });
});
