#!/usr/bin/env node
/**
 * Builds native/sockdiag (the netlink sock_diag addon behind fast process lookup on Linux) with node-gyp.
 * Runs on `npm install`; it never fails the install: on another OS, or when the build fails (no compiler,
 * no headers), it says in one line that process lookup falls back to /proc/net/tcp and exits 0.
 *
 *   node scripts/build-native.mjs          (npm's `install` script)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const addonDir = path.join(root, 'native', 'sockdiag');
const FALLBACK = 'process lookup falls back to /proc/net/tcp';

/** node-gyp as npm finds it: npm names it during lifecycle scripts, else the copy inside npm's own install. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((p) => p && fs.existsSync(p));
}

/**
 * Node's headers: npm passes the configured nodedir through the environment (node-gyp reads it there);
 * run by hand, use the headers installed beside this Node when there are any, rather than a download.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function main() {
  if (process.platform !== 'linux') return `sock_diag addon is Linux only; ${FALLBACK}`;
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return `sock_diag addon not built (node-gyp not found); ${FALLBACK}`;
  const res = spawnSync(process.execPath, [nodeGyp, 'rebuild', ...nodedirArgs()], { cwd: addonDir, encoding: 'utf8', timeout: 120_000 });
  if (res.status === 0) return undefined;
  const why = res.error?.message ?? `node-gyp exited ${res.status ?? res.signal}`;
  // The build's own output only when asked: an install should say one line.
  if (process.env.SWITCHYARD_NATIVE_VERBOSE) process.stderr.write(`${res.stdout}${res.stderr}`);
  return `sock_diag addon not built (${why}; SWITCHYARD_NATIVE_VERBOSE=1 shows why); ${FALLBACK}`;
}

const failure = main();
if (failure) console.log(failure);
process.exit(0);
