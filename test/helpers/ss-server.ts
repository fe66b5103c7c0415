import { execFileSync } from 'node:child_process';
import { freePort, onFreePort } from './ports.js';
import { startProcess } from './processes.js';

export interface SsServer {
  port: number;
  stop(): Promise<void>;
  /** Everything ss-server printed so far (it runs with -v), for assertion messages. */
  output(): string;
}

/**
 * Starts shadowsocks-libev's ss-server on 127.0.0.1 (foreground, verbose) and waits until it accepts.
 * It speaks the SIP004 AEAD ciphers (aes-128-gcm, aes-256-gcm, chacha20-ietf-poly1305), not Shadowsocks 2022.
 * On a wrong password it logs "authentication error" and then holds the connection silently until the
 * client closes it (no reply, no close): callers must bound such reads themselves.
 */
export async function startSsServer(opts: { cipher: string; password: string; udp?: boolean; obfs?: 'http' | 'tls' }): Promise<SsServer> {
  const ss = await onFreePort((port) =>
    startProcess('ss-server', ['-s', '127.0.0.1', '-p', String(port), '-k', opts.password, '-m', opts.cipher, '-v', ...(opts.udp ? ['-u'] : [])], port),
  );
  if (!opts.obfs) return { port: ss.port, stop: ss.proc.stop, output: ss.proc.output };
  // simple-obfs's server in front: it strips the disguise and forwards to ss-server. Traffic without the
  // right disguise would be passed on raw; --failover sends it to a closed port instead, so only a correct
  // disguise reaches ss-server.
  const closedPort = await freePort();
  const obfs = await onFreePort((port) =>
    startProcess(
      'obfs-server',
      ['-s', '127.0.0.1', '-p', String(port), '--obfs', opts.obfs!, '-r', `127.0.0.1:${ss.port}`, '--failover', `127.0.0.1:${closedPort}`, '-v'],
      port,
    ),
  ).catch(async (err) => {
    await ss.proc.stop();
    throw err;
  });
  return {
    port: obfs.port,
    output: () => `${ss.proc.output()}\n--- obfs-server ---\n${obfs.proc.output()}`,
    stop: async () => {
      await Promise.all([obfs.proc.stop(), ss.proc.stop()]);
    },
  };
}

/** Whether simple-obfs's obfs-server is installed (Debian package simple-obfs). */
export function hasObfsServer(): boolean {
  try {
    execFileSync('obfs-server', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // It prints its usage and exits non-zero; only a missing binary is "not installed".
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
