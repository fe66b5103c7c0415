import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startProcess } from './processes.js';

export interface RunningV2ray {
  port: number;
  /** Everything v2ray printed so far, for assertion messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts v2ray 4.34 (`v2ray -config file.json`) with one inbound on a free loopback port and a freedom
 * outbound, and waits until it accepts. `inbound` is the inbound object without listen/port, e.g.
 * `{ protocol: 'vmess', settings: { clients: [...] }, streamSettings: { network: 'ws' } }`.
 * VMess AEAD is forced so that a legacy header could never pass by accident. `extra` adds top-level
 * config sections, e.g. `{ policy: { levels: { 0: { handshake: 4 } } } }`.
 */
export async function startV2ray(inbound: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RunningV2ray> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-v2ray-'));
  const file = path.join(dir, 'config.json');
  const config = {
    log: { loglevel: 'warning' },
    inbounds: [{ listen: '127.0.0.1', port, ...inbound }],
    outbounds: [{ protocol: 'freedom' }],
    ...extra,
  };
  await writeFile(file, JSON.stringify(config, null, 2));
  const proc = await startProcess('v2ray', ['-config', file], port, { env: { V2RAY_VMESS_AEAD_FORCED: 'true' } }).catch(async (err) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
