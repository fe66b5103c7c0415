#!/usr/bin/env node
/**
 * Builds the native addons with node-gyp:
 *   native/sockdiag  the netlink sock_diag lookup behind fast process lookup (Linux only)
 *   native/aead      the reusable AEAD context of the VMess and Shadowsocks chunk ciphers
 * Runs on `npm install`; it never fails the install: on another OS, or when a build fails (no compiler,
 * no headers), it says in one line per addon what falls back to what, and exits 0.
 *
 *   node scripts/build-native.mjs          (npm's `install` script)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

const ADDONS = [
  { dir: 'sockdiag', name: 'sock_diag addon', linuxOnly: true, fallback: 'process lookup falls back to /proc/net/tcp' },
  { dir: 'aead', name: 'AEAD addon', linuxOnly: false, fallback: 'VMess and Shadowsocks fall back to node:crypto' },
];

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

/** Builds one addon; undefined when built, else the line to print. */
function build({ dir, name, linuxOnly, fallback }) {
  if (linuxOnly && process.platform !== 'linux') return `${name} is Linux only; ${fallback}`;
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return `${name} not built (node-gyp not found); ${fallback}`;
  const res = spawnSync(process.execPath, [nodeGyp, 'rebuild', ...nodedirArgs()], { cwd: path.join(root, 'native', dir), encoding: 'utf8', timeout: 120_000 });
  if (res.status === 0) return undefined;
  const why = res.error?.message ?? `node-gyp exited ${res.status ?? res.signal}`;
  // The build's own output only when asked: an install should say one line.
  if (process.env.SWITCHYARD_NATIVE_VERBOSE) process.stderr.write(`${res.stdout}${res.stderr}`);
  return `${name} not built (${why}; SWITCHYARD_NATIVE_VERBOSE=1 shows why); ${fallback}`;
}

for (const addon of ADDONS) {
  const failure = build(addon);
  if (failure) console.log(failure);
}
process.exit(0);
