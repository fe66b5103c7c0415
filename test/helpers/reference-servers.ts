import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCert } from './certs.js';
import { onFreePort } from './ports.js';
import { startProcess, type RunningProcess } from './processes.js';

/**
 * Reference proxy servers for integration tests, each on a fresh loopback port, configured from a temp
 * directory that stop() removes. Debian packages: microsocks, dante-server (danted), tinyproxy; openssl
 * for the TLS front's certificate (certs.ts).
 */
export interface ReferenceServer {
  port: number;
  /** Everything the server printed so far, for assertion messages. */
  output(): string;
  stop(): Promise<void>;
}


/** A server configured from files in its own temp dir, on a free port; the dir goes with stop(), or at once when it fails to start. */
async function startConfigured(prefix: string, start: (dir: string, port: number) => Promise<RunningProcess>): Promise<ReferenceServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `switchyard-${prefix}-`));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const { port, proc } = await onFreePort((p) => start(dir, p));
    return asReferenceServer(port, proc, remove);
  } catch (err) {
    await remove();
    throw err;
  }
}

function asReferenceServer(port: number, proc: RunningProcess, cleanup?: () => Promise<void>): ReferenceServer {
  return {
    port,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      await cleanup?.();
    },
  };
}

/** microsocks on 127.0.0.1; with user and pass it requires RFC 1929 username/password auth. */
/** `bindOutgoing` (e.g. 127.0.0.2) makes its connections to targets come from that address, so a target can tell upstreams apart. */
export async function startMicrosocks(opts: { user?: string; pass?: string; bindOutgoing?: string } = {}): Promise<ReferenceServer> {
  const auth = [...(opts.user !== undefined ? ['-u', opts.user, '-P', opts.pass ?? ''] : []), ...(opts.bindOutgoing ? ['-b', opts.bindOutgoing] : [])];
  const { port, proc } = await onFreePort((p) => startProcess('microsocks', ['-i', '127.0.0.1', '-p', String(p), ...auth], p));
  return asReferenceServer(port, proc);
}

/** Dante SOCKS5 server, no authentication, clients and targets limited to 127.0.0.0/8. */
export async function startDanted(): Promise<ReferenceServer> {
  return startConfigured('danted', async (dir, p) => {
    const conf = path.join(dir, 'danted.conf');
    await writeFile(
      conf,
      [
        'logoutput: stderr',
        `internal: 127.0.0.1 port = ${p}`,
        'external: 127.0.0.1',
        'clientmethod: none',
        'socksmethod: none',
        'user.privileged: root',
        'user.unprivileged: nobody',
        'client pass {',
        '  from: 127.0.0.0/8 to: 0.0.0.0/0',
        '}',
        'socks pass {',
        '  from: 127.0.0.0/8 to: 127.0.0.0/8',
        '}',
        '',
      ].join('\n'),
    );
    // Without -D danted stays in the foreground; -p keeps it away from /var/run/danted.pid.
    return startProcess('danted', ['-f', conf, '-N', '1', '-p', path.join(dir, 'danted.pid')], p);
  });
}

/**
 * tinyproxy in the foreground. `connectPorts` limits CONNECT to those ports (tinyproxy allows every port
 * when none is listed); user and pass switch on Basic proxy authentication.
 */
export async function startTinyproxy(opts: { user?: string; pass?: string; connectPorts?: number[] } = {}): Promise<ReferenceServer> {
  return startConfigured('tinyproxy', async (dir, p) => {
    const conf = path.join(dir, 'tinyproxy.conf');
    await writeFile(
      conf,
      [
        `Port ${p}`,
        'Listen 127.0.0.1',
        'Timeout 60',
        'Allow 127.0.0.1',
        'MaxClients 200',
        'LogLevel Info',
        ...(opts.connectPorts ?? []).map((cp) => `ConnectPort ${cp}`),
        ...(opts.user !== undefined ? [`BasicAuth ${opts.user} ${opts.pass ?? ''}`] : []),
        '',
      ].join('\n'),
    );
    return startProcess('tinyproxy', ['-d', '-c', conf], p);
  });
}

export interface TlsFront {
  port: number;
  /** PEM of the front's self-signed certificate, for clients that want to trust it. */
  cert: string;
  stop(): Promise<void>;
}

/**
 * Terminates TLS on a loopback port and pipes the plaintext to 127.0.0.1:targetPort, turning a plain
 * proxy (tinyproxy, microsocks) into an HTTPS / SOCKS5-over-TLS one.
 */
export async function startTlsFront(targetPort: number, cert?: { key: string; cert: string }): Promise<TlsFront> {
  const pair = cert ?? (await freshCert());
  const open = new Set<net.Socket>();
  const server = tls.createServer({ key: pair.key, cert: pair.cert }, (front) => {
    const back = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(front);
    open.add(back);
    const teardown = () => {
      front.destroy();
      back.destroy();
    };
    front.on('error', teardown).on('close', () => open.delete(front));
    back.on('error', teardown).on('close', () => open.delete(back));
    front.pipe(back).pipe(front);
  });
  // Failed client handshakes (the skip-cert-verify=false case) are expected here.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cert: pair.cert,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A fresh self-signed pair held in memory; its temp files are removed at once. */
async function freshCert(): Promise<{ key: string; cert: string }> {
  const made = await createSelfSignedCert();
  await made.remove();
  return { key: made.key, cert: made.cert };
}
