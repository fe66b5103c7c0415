import { fatalMessage, startCoreHost, type RunningCore } from './core-host.js';
import type { CoreToMain } from './core-messages.js';

/**
 * The core process: started by main as an Electron utilityProcess (tests fork it with Node), it runs the
 * core and reports `ready` with the controller port and secret, or `fatal`. Main sends `stop` to end it.
 *
 *   main ─fork(core-entry.mjs --profile p --data-dir d)→ core-process → Engine + controller on 127.0.0.1:0
 *        ←─────────── { type: 'ready', port, secret, mixedPort } ──┘
 */

interface ParentChannel {
  send(message: CoreToMain): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The parent went away: stop rather than run orphaned. */
  onGone(listener: () => void): void;
}

function parentChannel(): ParentChannel {
  // Electron gives a utility process `process.parentPort`; a Node child forked with IPC has `process.send`.
  const port = (process as { parentPort?: Electron.ParentPort }).parentPort;
  if (port) {
    return {
      send: (m) => port.postMessage(m),
      onMessage: (l) => port.on('message', (e) => l(e.data)),
      onGone: () => {}, // Electron ends utility processes with their parent
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('core-process must be started by the Switchyard app (no parent port or IPC channel)');
  return {
    send: (m) => send(m),
    onMessage: (l) => process.on('message', l),
    onGone: (l) => process.once('disconnect', l),
  };
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const parent = parentChannel();
  const profilePath = argument('--profile');
  if (!profilePath) {
    parent.send({ type: 'fatal', retryable: false, message: 'no --profile given to the core process' });
    process.exit(2);
  }
  let core: RunningCore | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const done = core ? core.stop() : Promise.resolve();
    done.then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  parent.onMessage((m) => {
    if ((m as { type?: unknown } | null)?.type === 'stop') stop();
  });
  parent.onGone(stop);
  try {
    core = await startCoreHost({ profilePath, dataDir: argument('--data-dir'), uiDir: argument('--ui-dir') });
  } catch (err) {
    parent.send(fatalMessage(err));
    // Let the message leave before the process does.
    setTimeout(() => process.exit(2), 100);
    return;
  }
  parent.send({ type: 'ready', ...core.info });
}

void main();
