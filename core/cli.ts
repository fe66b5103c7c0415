import { Command, Option } from 'commander';
import { loadProfileFile } from './config/load.js';
import { LOG_LEVELS, type LogLevel } from './config/types.js';
import { createProtocolRegistry } from './protocol/index.js';
import { Engine } from './engine.js';
import { createLogger } from './logger.js';
import { ConfigError } from './adapter/errors.js';
import { formatHostPort } from './config/settings.js';
// The log hub alone, not the API index: the controller is imported by the engine only when it starts one.
import { LogHub } from './api/log-hub.js';

/** `switchyard run -c profile.yaml`: the headless core. */
async function run(opts: { config: string; logLevel?: LogLevel }): Promise<void> {
  const registry = createProtocolRegistry();
  const { profile, warnings } = await loadProfileFile(opts.config, registry);
  // Log lines go to stderr and to the controller's /logs subscribers.
  const logs = new LogHub();
  const logger = createLogger(opts.logLevel ?? profile.logLevel, logs.destination());
  for (const w of warnings) logger.warn(w);
  const engine = new Engine(profile, { logger, registry, controller: { logs } });
  const { mixed, controller } = await engine.start();
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
    engine
      .stop()
      .then(() => {
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
  .action((opts) => run(opts).catch(fail));

program
  .command('check')
  .description('validate a profile and exit')
  .requiredOption('-c, --config <file>', 'profile YAML')
  .action((opts) => check(opts).catch(fail));

program.parseAsync(process.argv).catch(fail);
