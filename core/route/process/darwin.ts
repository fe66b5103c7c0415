import type { Endpoint } from '../../adapter/outbound.js';
import { endpointText, PidCache, runCommand } from './run-command.js';
import type { CommandRunner, ProcessInfo, ProcessLookup } from './types.js';

/** `lsof` listing the TCP sockets with the client's address and port at either end, as fields: pid, command, name. */
export function lsofCommand(client: Endpoint): { file: string; args: string[] } {
  // +c0: the whole command name (lsof cuts it to 9 characters otherwise); -nP: no name or port lookups.
  return { file: 'lsof', args: ['-nP', '+c0', `-iTCP@${endpointText(client.address, client.port)}`, '-Fpcn'] };
}

/**
 * Reads `lsof -F pcn` output (`p<pid>`, `c<command>`, `f<fd>`, `n<local>-><remote>` lines) and returns the
 * process whose socket has the client's end as its local side and our port as its remote side; our own
 * accepted socket (the reverse) is skipped.
 */
export function parseLsof(output: string, client: Endpoint, serverPort: number): { pid: number; name: string } | undefined {
  const local = `${endpointText(client.address, client.port)}->`;
  let pid: number | undefined;
  let name = '';
  for (const line of output.split('\n')) {
    const tag = line[0];
    const value = line.slice(1).trim();
    if (tag === 'p') {
      pid = Number(value);
      name = '';
    } else if (tag === 'c') name = value;
    else if (tag === 'n' && pid !== undefined && value.startsWith(local) && value.endsWith(`:${serverPort}`)) return { pid, name };
  }
  return undefined;
}

export function psCommand(pid: number): { file: string; args: string[] } {
  return { file: 'ps', args: ['-o', 'comm=', '-p', String(pid)] };
}

/** macOS `ps -o comm=` prints the executable's full path. */
export function parsePs(output: string): string | undefined {
  const path = output.trim().split('\n')[0]?.trim();
  return path ? path : undefined;
}

/** macOS: lsof finds the pid and command, ps the executable path. */
export class DarwinProcessLookup implements ProcessLookup {
  private readonly paths = new PidCache<string | undefined>();

  constructor(private readonly run: CommandRunner = runCommand) {}

  async lookup(client: Endpoint, serverPort: number): Promise<ProcessInfo | undefined> {
    const lsof = lsofCommand(client);
    const found = parseLsof(await this.run(lsof.file, lsof.args).catch(() => ''), client, serverPort);
    if (!found) return undefined;
    const ps = psCommand(found.pid);
    const path = await this.paths.get(found.pid, async () => parsePs(await this.run(ps.file, ps.args).catch(() => '')));
    return { pid: found.pid, name: path ? path.slice(path.lastIndexOf('/') + 1) : found.name, path };
  }
}
