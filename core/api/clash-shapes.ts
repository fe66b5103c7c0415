import net from 'node:net';
import type { ProbeService } from '../adapter/prober.js';
import type { TrackedConnection } from '../stats/tracker.js';
import type { ControllerEngine } from './types.js';

/**
 * The JSON mihomo's controller answers with (hub/route/*.go, adapter MarshalJSON, tunnel/statistic), so
 * yacd, metacubexd and zashboard read ours unchanged. Keys we have nothing for carry mihomo's empty value.
 */

export interface ClashDelay {
  time: string;
  delay: number;
}

export interface ClashProxy {
  name: string;
  type: string;
  id: string;
  udp: boolean;
  uot: boolean;
  xudp: boolean;
  tfo: boolean;
  mptcp: boolean;
  smux: boolean;
  interface: string;
  'dialer-proxy': string;
  'routing-mark': number;
  alive: boolean;
  history: ClashDelay[];
  extra: Record<string, { alive: boolean; history: ClashDelay[] }>;
  /** Groups only. */
  all?: string[];
  now?: string;
  hidden?: boolean;
  icon?: string;
  testUrl?: string;
  expectedStatus?: string;
  fixed?: string;
  /** Ours: the pool's balancing strategy. */
  strategy?: string;
}

export interface ClashMetadata {
  network: string;
  type: string;
  sourceIP: string;
  destinationIP: string;
  sourceGeoIP: string[] | null;
  destinationGeoIP: string[] | null;
  sourceIPASN: string;
  destinationIPASN: string;
  sourcePort: string;
  destinationPort: string;
  inboundIP: string;
  inboundPort: string;
  inboundName: string;
  inboundUser: string;
  host: string;
  dnsMode: string;
  uid: number;
  process: string;
  processPath: string;
  specialProxy: string;
  specialRules: string;
  remoteDestination: string;
  dscp: number;
  sniffHost: string;
}

export interface ClashConnection {
  id: string;
  metadata: ClashMetadata;
  upload: number;
  download: number;
  start: string;
  /** Innermost first, as mihomo lists them: ['jp1', 'auto']. */
  chains: string[];
  rule: string;
  rulePayload: string;
}

export interface ClashConnections {
  downloadTotal: number;
  uploadTotal: number;
  connections: ClashConnection[];
  memory: number;
}

/** Our type names (Clash profile spelling) → mihomo's adapter type names, which dashboards switch on. */
const CLASH_TYPE: Record<string, string> = {
  direct: 'Direct',
  reject: 'Reject',
  ss: 'Shadowsocks',
  shadowsocks: 'Shadowsocks',
  socks5: 'Socks5',
  http: 'Http',
  vmess: 'Vmess',
  vless: 'Vless',
  trojan: 'Trojan',
  select: 'Selector',
  'url-test': 'URLTest',
  fallback: 'Fallback',
  'load-balance': 'LoadBalance',
};

export function clashType(type: string): string {
  return CLASH_TYPE[type] ?? type.charAt(0).toUpperCase() + type.slice(1);
}

/** mihomo keeps the last 10 delay samples per proxy. */
const HISTORY_LENGTH = 10;

function delayHistory(probes: ProbeService | undefined, name: string): ClashDelay[] {
  if (!probes) return [];
  return probes
    .history(name, { kind: 'latency' })
    .slice(-HISTORY_LENGTH)
    .map((s) => ({ time: new Date(s.at).toISOString(), delay: s.value ?? 0 }));
}

/** One `/proxies` entry; undefined for an unknown name. */
export function clashProxy(engine: ControllerEngine, name: string, probes: ProbeService | undefined): ClashProxy | undefined {
  const outbound = engine.outbounds.get(name);
  if (!outbound) return undefined;
  const pool = engine.pools.get(name);
  const alive = probes?.health(name)?.alive ?? (pool ? pool.hasAliveMember() : true);
  const entry: ClashProxy = {
    name,
    type: clashType(outbound.type),
    id: name,
    udp: typeof outbound.listenPacket === 'function',
    uot: false,
    xudp: false,
    tfo: false,
    mptcp: false,
    smux: false,
    interface: '',
    'dialer-proxy': '',
    'routing-mark': 0,
    alive,
    history: delayHistory(probes, name),
    extra: {},
  };
  if (!pool) return entry;
  const snapshot = pool.snapshot();
  const group = engine.profile.proxyGroups.find((g) => g.name === name);
  entry.all = [...snapshot.members, ...snapshot.backup].map((m) => m.name);
  entry.now = snapshot.now ?? '';
  entry.hidden = false;
  entry.icon = '';
  entry.testUrl = group?.url ?? '';
  entry.expectedStatus = '*';
  if (pool.type === 'url-test' || pool.type === 'fallback') entry.fixed = '';
  entry.strategy = snapshot.strategy;
  return entry;
}

/** `GET /proxies`: every outbound by name. */
export function clashProxies(engine: ControllerEngine, probes: ProbeService | undefined): Record<string, ClashProxy> {
  const proxies: Record<string, ClashProxy> = {};
  for (const name of engine.outbounds.keys()) proxies[name] = clashProxy(engine, name, probes)!;
  return proxies;
}

/** How mihomo names the inbound that accepted a connection. */
const INBOUND_TYPE: Record<string, string> = { socks5: 'Socks5', socks4: 'Socks4', 'http-connect': 'HTTPS', http: 'HTTP' };

export function clashConnection(conn: TrackedConnection, inbound: { host: string; port: number } | undefined): ClashConnection {
  const m = conn.meta;
  const destIsIp = net.isIP(m.destination.host) !== 0;
  return {
    id: m.id,
    metadata: {
      network: m.network,
      type: INBOUND_TYPE[m.inbound] ?? m.inbound,
      sourceIP: m.source.address,
      destinationIP: destIsIp ? m.destination.host : '',
      sourceGeoIP: null,
      destinationGeoIP: null,
      sourceIPASN: '',
      destinationIPASN: '',
      sourcePort: String(m.source.port),
      destinationPort: String(m.destination.port),
      inboundIP: inbound?.host ?? '',
      inboundPort: inbound ? String(inbound.port) : '0',
      inboundName: 'DEFAULT-MIXED',
      inboundUser: '',
      host: destIsIp ? '' : m.destination.host,
      dnsMode: 'normal',
      uid: 0,
      process: m.process?.name ?? '',
      processPath: m.process?.path ?? '',
      specialProxy: '',
      specialRules: '',
      remoteDestination: m.destination.host,
      dscp: 0,
      sniffHost: '',
    },
    upload: conn.up,
    download: conn.down,
    start: new Date(m.startedAt).toISOString(),
    chains: [...conn.chain].reverse(),
    rule: m.rule ?? '',
    rulePayload: m.rulePayload ?? '',
  };
}

export function clashConnections(engine: ControllerEngine): ClashConnections {
  const inbound = engine.inbound.address;
  return {
    downloadTotal: engine.stats.total.down,
    uploadTotal: engine.stats.total.up,
    connections: engine.tracker.list().map((c) => clashConnection(c, inbound)),
    memory: process.memoryUsage().rss,
  };
}
