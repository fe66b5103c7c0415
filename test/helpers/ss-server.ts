import { freePort } from './ports.js';
import { startProcess, type RunningProcess } from './processes.js';

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
export async function startSsServer(opts: { cipher: string; password: string; udp?: boolean }): Promise<SsServer> {
  let lastError: unknown;
  // freePort() can lose a race with another test; a server that exits at start gets two more tries.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = ['-s', '127.0.0.1', '-p', String(port), '-k', opts.password, '-m', opts.cipher, '-v', ...(opts.udp ? ['-u'] : [])];
    let proc: RunningProcess;
    try {
      proc = await startProcess('ss-server', args, port);
    } catch (err) {
      lastError = err;
      continue;
    }
    return { port, stop: proc.stop, output: proc.output };
  }
  throw lastError;
}
