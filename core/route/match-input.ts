import type { ConnectionMeta } from '../adapter/outbound.js';
import { parseIp, type IpBytes } from './ip-address.js';

/** The program that opened a client connection, as far as the platform tells. */
export interface ProcessInfo {
  name?: string;
  path?: string;
  pid?: number;
}

/** Data a rule may need that is not in the connection's meta until fetched. */
export const NEED_RESOLVE = 1;
export const NEED_PROCESS = 2;

/**
 * One connection as the rules see it. `resolved` and `process` start undefined ("not fetched") and are
 * filled at most once, and only when a rule reached in order needs them.
 */
export interface MatchInput {
  readonly meta: ConnectionMeta;
  /** Lower-case, no trailing dot; '' when the destination is an IP literal (domain rules never match it). */
  readonly host: string;
  readonly dstIp: IpBytes | undefined;
  readonly srcIp: IpBytes | undefined;
  /** The destination name's addresses, once resolved (empty when resolution failed or timed out). */
  resolved: IpBytes[] | undefined;
  /** undefined: not looked up yet; null: looked up, unknown. */
  process: ProcessInfo | null | undefined;
  /** Lower-cased name and path, for the case-insensitive PROCESS-* rules. */
  processName: string;
  processPath: string;
}

export function normalizeHost(host: string): string {
  return (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
}

export function matchInput(meta: ConnectionMeta): MatchInput {
  const dstIp = parseIp(meta.destination.host);
  const input: MatchInput = {
    meta,
    host: dstIp ? '' : normalizeHost(meta.destination.host),
    dstIp,
    srcIp: parseIp(meta.source.address),
    resolved: undefined,
    process: undefined,
    processName: '',
    processPath: '',
  };
  if (meta.process) setProcess(input, meta.process);
  return input;
}

export function setProcess(input: MatchInput, info: ProcessInfo | null): void {
  input.process = info;
  input.processName = info?.name?.toLowerCase() ?? '';
  input.processPath = info?.path?.toLowerCase() ?? '';
}

/** Which of `needs` are still missing for this input. */
export function missing(input: MatchInput, needs: number): number {
  let out = 0;
  if (needs & NEED_RESOLVE && input.resolved === undefined && input.host !== '') out |= NEED_RESOLVE;
  if (needs & NEED_PROCESS && input.process === undefined) out |= NEED_PROCESS;
  return out;
}
