import type { LogLevel } from '../logger.js';

/**
 * The profile as plain data (DESIGN.md section 2): what the YAML loader produces and `stringifyProfile`
 * writes back. Runtime objects (outbounds, pools, rules) are built from it elsewhere.
 * Our own field names are camelCase; proxy entries keep their Clash field names because each protocol's
 * schema owns them.
 */
export interface Profile {
  /** SOCKS5 + HTTP on one port. */
  mixedPort: number;
  /** As written; absent means "loopback, or every interface with allow-lan". See `listenAddress()`. */
  bindAddress?: string;
  allowLan: boolean;
  authentication: Credential[];
  mode: Mode;
  logLevel: LogLevel;
  externalController?: HostPort;
  secret?: string;
  proxies: ProxyConfig[];
  /** Subscriptions by name. */
  proxyProviders: Record<string, ProviderConfig>;
  proxyGroups: GroupConfig[];
  rules: RuleConfig[];
  /** Top-level sections we do not use (dns, tun, port...), kept so an export writes them back. */
  extra: Record<string, unknown>;
}

export interface Credential {
  username: string;
  password: string;
}

export interface HostPort {
  host: string;
  port: number;
}

export const MODES = ['rule', 'global', 'direct'] as const;
export type Mode = (typeof MODES)[number];

export const LOG_LEVELS = ['silent', 'error', 'warning', 'info', 'debug'] as const satisfies readonly LogLevel[];
export type { LogLevel };

/**
 * One `proxies:` entry as its protocol's schema returned it, plus any keys that schema does not know
 * (kept so an export writes them back; the protocol ignores them).
 */
export interface ProxyConfig {
  name: string;
  type: string;
  [key: string]: unknown;
}

/** A `proxy-providers:` entry, validated loosely; keys we do not model are kept in `extra`. */
export interface ProviderConfig {
  type: 'http' | 'file';
  url?: string;
  path?: string;
  /** Seconds between refreshes. */
  interval?: number;
  healthCheck?: ProviderHealthCheck;
  extra?: Record<string, unknown>;
}

export interface ProviderHealthCheck {
  enable?: boolean;
  url?: string;
  /** Seconds between probes. */
  interval?: number;
  /** ms */
  timeout?: number;
  lazy?: boolean;
  extra?: Record<string, unknown>;
}

export const GROUP_TYPES = ['select', 'url-test', 'fallback', 'load-balance'] as const;
export type GroupType = (typeof GROUP_TYPES)[number];

/** DESIGN.md section 3; Clash's round-robin, consistent-hashing and sticky-sessions are spelled the same. */
export const STRATEGY_NAMES = [
  'round-robin',
  'random',
  'weighted-round-robin',
  'least-connections',
  'weighted-least-connections',
  'weighted-latency',
  'least-latency',
  'health-score',
  'consistent-hashing',
  'sticky-sessions',
  'failover',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** A `proxy-groups:` entry. Members are names already checked to resolve. */
export interface GroupConfig {
  name: string;
  type: GroupType;
  /** Proxies, groups, DIRECT or REJECT, in order. */
  proxies: string[];
  /** Provider names whose proxies join the group. */
  use: string[];
  /**
   * mihomo's `include-all-providers`: every provider's proxies join too, after those of `use` — the
   * profile's and the subscriptions and servers the app stores (so a desktop pool follows what the user adds).
   */
  includeAllProviders?: boolean;
  /** Used only while every primary member is down. */
  backup: string[];
  /** Only for load-balance (default round-robin); url-test and fallback imply theirs. */
  strategy?: StrategyName;
  url?: string;
  /** Seconds between latency probes. */
  interval?: number;
  /** ms */
  timeout?: number;
  /** ms hysteresis for least-latency / url-test. */
  tolerance?: number;
  lazy?: boolean;
  /** Passive failures before a member is taken out... */
  maxFailedTimes?: number;
  /** ...for this many seconds. */
  failTimeout?: number;
  /** Seconds without traffic after which probing pauses. */
  idleTimeout?: number;
  /** Clash keys we do not use (filter, disable-udp...), kept for export. */
  extra?: Record<string, unknown>;
}

/** `IP-CIDR,10.0.0.0/8,DIRECT,no-resolve` → { type: 'IP-CIDR', payload: '10.0.0.0/8', target: 'DIRECT', options: ['no-resolve'] }. */
export interface RuleConfig {
  type: string;
  /** '' for MATCH. */
  payload: string;
  target: string;
  options: string[];
}

/** Outbound names every profile has without declaring them. */
export const BUILTIN_TARGETS = ['DIRECT', 'REJECT'] as const;

export interface LoadResult {
  profile: Profile;
  /** Ignored keys and notices, each reported once; never fatal. */
  warnings: string[];
}

export const DEFAULT_MIXED_PORT = 7890;
