import { spawn } from 'node:child_process';
import { curl } from '../../helpers/clients.js';

/**
 * Two different client programs for per-app tests: curl (SOCKS5) and a small node script (a plain HTTP
 * proxy request), so the core sees two executables, /usr/bin/curl and node.
 */
export async function curlVia(proxyPort: number, url: string): Promise<{ ok: boolean; body: string; stderr: string; code: number | null }> {
  const r = await curl(['--socks5-hostname', `127.0.0.1:${proxyPort}`, '-o', '-', url], 20_000);
  return { ok: r.code === 0, body: '', stderr: r.stderr, code: r.code };
}

const NODE_CLIENT = `
const http = require('node:http');
const [port, url] = [Number(process.env.PROXY_PORT), process.env.URL];
http.get({ host: '127.0.0.1', port, path: url, agent: false, timeout: 20000 }, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
  res.on('error', (e) => console.log(JSON.stringify({ error: e.message })));
}).on('error', (e) => console.log(JSON.stringify({ error: e.message })));
`;

/** GET `url` through the proxy as a plain HTTP proxy request, from a node process of its own. */
export function nodeVia(proxyPort: number, url: string): Promise<{ status?: number; body?: string; error?: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', NODE_CLIENT], { env: { ...process.env, PROXY_PORT: String(proxyPort), URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', () => {
      try {
        resolve({ ...JSON.parse(out), pid: child.pid! });
      } catch {
        reject(new Error(`node client printed ${JSON.stringify(out)}`));
      }
    });
  });
}
