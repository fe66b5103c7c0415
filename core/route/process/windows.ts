import type { Endpoint } from '../../adapter/outbound.js';
import { endpointText, PidCache, runCommand } from './run-command.js';
import type { CommandRunner, ProcessInfo, ProcessLookup } from './types.js';

export function netstatCommand(client: Endpoint): { file: string; args: string[] } {
  return { file: 'netstat', args: ['-ano', '-p', client.address.includes(':') ? 'TCPv6' : 'TCP'] };
}

/**
 * Reads `netstat -ano` rows (`TCP  127.0.0.1:50000  127.0.0.1:7890  ESTABLISHED  1234`) and returns the pid
 * of the socket whose local end is the client's and whose remote port is ours.
 */
export function parseNetstat(output: string, client: Endpoint, serverPort: number): number | undefined {
  const local = endpointText(client.address, client.port).toLowerCase();
  for (const line of output.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'TCP' || f.length < 5) continue;
    if (f[1]!.toLowerCase() !== local || !f[2]!.endsWith(`:${serverPort}`)) continue;
    const pid = Number(f[4]);
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  return undefined;
}

export function tasklistCommand(pid: number): { file: string; args: string[] } {
  return { file: 'tasklist', args: ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'] };
}

/** Reads `"curl.exe","1234","Console","1","5,432 K"`; undefined for the "INFO: No tasks" answer. */
export function parseTasklist(output: string, pid: number): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const cells = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    if (cells.length >= 2 && Number(cells[1]) === pid) return cells[0];
  }
  return undefined;
}

/** Windows: netstat finds the pid, tasklist its image name (tasklist does not give the path). */
export class WindowsProcessLookup implements ProcessLookup {
  private readonly names = new PidCache<string | undefined>();

  constructor(private readonly run: CommandRunner = runCommand) {}

  async lookup(client: Endpoint, serverPort: number): Promise<ProcessInfo | undefined> {
    const netstat = netstatCommand(client);
    const pid = parseNetstat(await this.run(netstat.file, netstat.args).catch(() => ''), client, serverPort);
    if (pid === undefined) return undefined;
    const tasklist = tasklistCommand(pid);
    const name = await this.names.get(pid, async () => parseTasklist(await this.run(tasklist.file, tasklist.args).catch(() => ''), pid));
    return { pid, name };
  }
}
