import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadProfileFile } from './config/load.js';
import { LOG_LEVELS, type LogLevel } from './config/types.js';
import { createProtocolRegistry } from './protocol/index.js';
import { mixedPortAsProxy, openRunData } from './run-data.js';
import { Engine } from './engine.js';
import { createLogger } from './logger.js';
import { ConfigError } from './adapter/errors.js';
import { formatHostPort } from './config/settings.js';
// The log hub alone, not the API index: the controller is imported by the engine only when it starts one.
import { LogHub } from './api/log-hub.js';

/**
 * The data directory (SQLite database, proxy-provider cache): `--data-dir`, else $SWITCHYARD_DATA_DIR,
 * else $XDG_DATA_HOME/switchyard, else ~/.local/share/switchyard. `run` uses one only when given
 * (flag or variable), so a plain `run -c profile.yaml` writes nothing to disk.
 */
function dataDirOf(flag: string | undefined, fallbackToDefault: boolean): string | undefined {
  const given = flag ?? (process.env.SWITCHYARD_DATA_DIR || undefined);
  if (given || !fallbackToDefault) return given && path.resolve(given);
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'switchyard');
}

/** `switchyard run -c profile.yaml`: the headless core. */
async function run(opts: { config: string; logLevel?: LogLevel; dataDir?: string }): Promise<void> {
  const registry = createProtocolRegistry();
  const { profile, warnings } = await loadProfileFile(opts.config, registry);
  // Log lines go to stderr and to the controller's /logs subscribers.
  const logs = new LogHub();
  const logger = createLogger(opts.logLevel ?? profile.logLevel, logs.destination());
  for (const w of warnings) logger.warn(w);
  const dataDir = dataDirOf(opts.dataDir, false);
  // With a data directory: stored subscriptions (refreshed on their interval, through the mixed port when
  // asked) and probe history in SQLite. Loaded only then: the store needs a native module.
  const data = dataDir ? await openRunData(dataDir, registry, logger, () => mixedPortAsProxy(engine, profile)) : undefined;
  const engine: Engine = new Engine(profile, {
    logger,
    registry,
    dataDir,
    profileDir: path.dirname(path.resolve(opts.config)),
    probe: data && { history: data.history },
    apps: data?.apps,
    stored: data?.stored,
    controller: { logs, subscriptions: data?.subscriptions },
  });
  const { mixed, controller } = await engine.start();
  data?.subscriptions.start();
  // Machine-readable first lines: scripts (and the benchmark) wait for them.
  process.stdout.write(`mixed: listening on ${formatHostPort(mixed)} (socks5, socks4, http)\n`);
  process.stdout.write(`mode: ${engine.currentMode}, ${profile.proxies.length} proxies, ${engine.pools.size - 1} pools, ${profile.rules.length} rules\n`);
  if (controller) {
    // The secret is printed (never logged) so the user can reach the UI; the UI link carries it.
    const origin = controller.secretGenerated ? 'generated for this run' : 'from the profile';
    process.stdout.write(`controller: ${controller.url} (Bearer secret ${origin})\n`);
    process.stdout.write(`ui: ${controller.uiUrl}\n`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    data?.subscriptions.stop();
    engine
      .stop()
      .then(() => {
        data?.store.close();
        logger.flush();
        process.stdout.write('stopped\n');
        process.exit(0);
      })
      .catch((err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** `switchyard import <url|file|link>`: stores a subscription (and fetches it), a file's servers, or one link's. */
async function importCommand(source: string, opts: { dataDir?: string; name?: string }): Promise<void> {
  const { openStore } = await import('./store/index.js');
  const { SubscriptionService } = await import('./subscription/refresh.js');
  const { importSource, formatImportReport } = await import('./subscription/import.js');
  const dataDir = dataDirOf(opts.dataDir, true)!;
  const store = openStore(dataDir);
  try {
    const registry = createProtocolRegistry();
    const report = await importSource(new SubscriptionService({ store, registry }), store, source, { name: opts.name, registry });
    process.stdout.write(formatImportReport(report));
    process.stdout.write(`stored in ${dataDir}\n`);
    if (report.error) process.exitCode = 1;
  } finally {
    store.close();
  }
}

/** `switchyard servers [--json]`: the stored servers, never their passwords or uuids. */
async function serversCommand(opts: { dataDir?: string; json?: boolean }): Promise<void> {
  const { openStore } = await import('./store/index.js');
  const { listServers, formatServerTable } = await import('./subscription/server-listing.js');
  const store = openStore(dataDirOf(opts.dataDir, true)!);
  try {
    const servers = listServers(store);
    process.stdout.write(opts.json ? `${JSON.stringify(servers, null, 2)}\n` : formatServerTable(servers));
  } finally {
    store.close();
  }
}

/** `switchyard profile import <file>`: the whole profile (servers, pools, rules, settings) into the store. */
async function profileImportCommand(file: string, opts: { dataDir?: string }): Promise<void> {
  const { openStore } = await import('./store/index.js');
  const { importProfileIntoStore } = await import('./store/profile.js');
  const registry = createProtocolRegistry();
  const { profile, warnings } = await loadProfileFile(file, registry);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const dataDir = dataDirOf(opts.dataDir, true)!;
  const store = openStore(dataDir);
  try {
    const r = importProfileIntoStore(store, profile, registry);
    process.stdout.write(`${r.servers} servers, ${r.pools} pools, ${r.rules} rules, ${r.subscriptionsAdded} new subscriptions stored in ${dataDir}\n`);
    for (const note of r.notes) process.stdout.write(`  note: ${note}\n`);
  } finally {
    store.close();
  }
}

/** `switchyard profile export [-o file]`: the stored setup as a Clash-compatible profile. */
async function profileExportCommand(opts: { dataDir?: string; output?: string }): Promise<void> {
  const { openStore } = await import('./store/index.js');
  const { exportProfileFromStore } = await import('./store/profile.js');
  const { stringifyProfile } = await import('./config/stringify.js');
  const store = openStore(dataDirOf(opts.dataDir, true)!);
  try {
    const text = stringifyProfile(exportProfileFromStore(store));
    if (opts.output) {
      const fs = await import('node:fs');
      // The profile holds server passwords: readable by its owner only.
      fs.writeFileSync(opts.output, text, { mode: 0o600 });
    } else process.stdout.write(text);
  } finally {
    store.close();
  }
}

/** `switchyard check -c profile.yaml`: validate only. */
async function check(opts: { config: string }): Promise<void> {
  const { profile, warnings } = await loadProfileFile(opts.config, createProtocolRegistry());
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`ok: ${profile.proxies.length} proxies, ${profile.proxyGroups.length} groups, ${profile.rules.length} rules\n`);
}

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`profile error:\n${err.issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n')}\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  process.exit(e?.code === 'EADDRINUSE' ? 3 : 1);
}

const program = new Command('switchyard').description('Proxy balancer core: spreads connections across many proxy servers.').showHelpAfterError();
const logLevel = new Option('--log-level <level>', 'override the profile log-level').choices(LOG_LEVELS);

program
  .command('run')
  .description('run the core headless with a Clash-compatible profile')
  .requiredOption('-c, --config <file>', 'profile YAML')
  .addOption(logLevel)
  .option('--data-dir <dir>', 'keep stored subscriptions, probe history and the proxy-provider cache here (default: none, or $SWITCHYARD_DATA_DIR)')
  .action((opts) => run(opts).catch(fail));

const dataDirHelp = 'data directory (default: $SWITCHYARD_DATA_DIR, $XDG_DATA_HOME/switchyard or ~/.local/share/switchyard)';

program
  .command('import')
  .description('store a subscription URL (and fetch it), or the servers of a subscription file or a share link')
  .argument('<source>', 'an http(s) subscription URL, a file (subscription body or Clash profile), or a share link (ss://, vmess://...)')
  .option('--data-dir <dir>', dataDirHelp)
  .option('--name <name>', "the subscription's name, or the server's for a share link")
  .action((source, opts) => importCommand(source, opts).catch(fail));

program
  .command('servers')
  .description('list the stored servers (never their credentials)')
  .option('--data-dir <dir>', dataDirHelp)
  .option('--json', 'one JSON array instead of a table')
  .action((opts) => serversCommand(opts).catch(fail));

const profileCommand = program.command('profile').description('move a whole Clash profile into or out of the store');
profileCommand
  .command('import')
  .description('store a profile: its proxies as servers, its groups as pools, its rules, settings and http providers')
  .argument('<file>', 'Clash-compatible profile YAML')
  .option('--data-dir <dir>', dataDirHelp)
  .action((file, opts) => profileImportCommand(file, opts).catch(fail));
profileCommand
  .command('export')
  .description('write the stored setup as a Clash-compatible profile')
  .option('--data-dir <dir>', dataDirHelp)
  .option('-o, --output <file>', 'write here instead of stdout (mode 600: it holds passwords)')
  .action((opts) => profileExportCommand(opts).catch(fail));

program
  .command('check')
  .description('validate a profile and exit')
  .requiredOption('-c, --config <file>', 'profile YAML')
  .action((opts) => check(opts).catch(fail));

program.parseAsync(process.argv).catch(fail);
