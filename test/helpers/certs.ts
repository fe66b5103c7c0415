import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCert {
  /** PEM certificate (also the CA a client must trust). */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  dir: string;
  remove(): Promise<void>;
}

/**
 * A fresh self-signed certificate for CN=localhost with SANs localhost and 127.0.0.1, made with openssl in
 * a temp dir, for TLS reference servers on loopback.
 */
export async function createSelfSignedCert(): Promise<SelfSignedCert> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { timeout: 30_000 },
  );
  return {
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
    certFile,
    keyFile,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
