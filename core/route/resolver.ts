import dns from 'node:dns';
import { parseIp, type IpBytes } from './ip-address.js';

export type LookupAll = (host: string) => Promise<string[]>;

const systemLookup: LookupAll = async (host) => (await dns.promises.lookup(host, { all: true })).map((a) => a.address);

export interface ResolverOptions {
  /** How long an answer (or a failure) is reused; default 60 s. */
  ttlMs?: number;
  /** A lookup slower than this counts as no address; default 2 s. */
  timeoutMs?: number;
  /** Most names kept; the oldest go first. Default 4096. */
  maxEntries?: number;
  lookup?: LookupAll;
  now?: () => number;
}

/**
 * Resolves a destination name for IP rules without `no-resolve`, through the system resolver (so
 * /etc/hosts counts). Answers are cached briefly, concurrent lookups of one name share one query, and a
 * slow or failed lookup yields no addresses: IP rules then simply do not match.
 */
export class HostResolver {
  private readonly cache = new Map<string, { at: number; ips: IpBytes[] }>();
  private readonly inflight = new Map<string, Promise<IpBytes[]>>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly maxEntries: number;
  private readonly lookupAll: LookupAll;
  private readonly now: () => number;
  /** Lookups sent to the resolver (not answered from cache): tests and the bench read it. */
  queries = 0;

  constructor(options: ResolverOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 4096;
    this.lookupAll = options.lookup ?? systemLookup;
    this.now = options.now ?? Date.now;
  }

  resolve(host: string): Promise<IpBytes[]> {
    const hit = this.cache.get(host);
    if (hit && this.now() - hit.at < this.ttlMs) return Promise.resolve(hit.ips);
    const running = this.inflight.get(host);
    if (running) return running;
    const query = this.query(host).finally(() => this.inflight.delete(host));
    this.inflight.set(host, query);
    return query;
  }

  private async query(host: string): Promise<IpBytes[]> {
    this.queries++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), this.timeoutMs);
    });
    const texts = await Promise.race([this.lookupAll(host).catch(() => [] as string[]), timeout]);
    clearTimeout(timer);
    const ips = texts.map(parseIp).filter((ip): ip is IpBytes => !!ip);
    this.cache.delete(host);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(host, { at: this.now(), ips });
    return ips;
  }
}
