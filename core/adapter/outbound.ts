import type { Duplex } from 'node:stream';

/** Where a connection wants to go. `host` is a domain name or an IP literal (IPv6 without brackets). */
export interface Destination {
  host: string;
  port: number;
}

export interface Endpoint {
  address: string;
  port: number;
}

/** What is known about one client connection; filled in as it passes inbound → router → outbounds. */
export interface ConnectionMeta {
  id: string;
  network: 'tcp' | 'udp';
  /** Inbound protocol that accepted it: socks5, socks4, http-connect, http. */
  inbound: string;
  source: Endpoint;
  destination: Destination;
  /** Filled by the router when a rule needs it (per-app rules). */
  process?: { name?: string; path?: string; pid?: number };
  /** The rule that chose the outbound, e.g. `DOMAIN-SUFFIX` and its payload `example.com`. */
  rule?: string;
  rulePayload?: string;
  startedAt: number;
}

export interface DialContext {
  meta: ConnectionMeta;
  /**
   * Outbounds that carry the connection, outermost first: ['auto', 'jp1']. Whoever dials an outbound pushes
   * that outbound's name before dialing (the router the top one, a pool its member) and a pool truncates
   * back after a failed try; leaf outbounds never touch it.
   */
  chain: string[];
  signal?: AbortSignal;
}

/**
 * Anything that can carry a TCP connection to a destination: a server (direct, socks5, ss...) or a pool.
 * The returned stream is connected and ready for payload in both directions.
 * A failure rejects with a `ProxyError` (core/adapter/errors.ts) so pools and inbounds can act on its code.
 */
export interface Outbound {
  readonly name: string;
  /** Clash type name: direct, reject, socks5, http, ss, vmess, vless, trojan, or a pool type. */
  readonly type: string;
  dial(destination: Destination, ctx: DialContext): Promise<Duplex>;
  /** UDP relay comes later (SOCKS5 UDP ASSOCIATE); protocols that can carry UDP will implement it here. */
  listenPacket?(ctx: DialContext): Promise<PacketConn>;
  /** Release timers and pooled resources. */
  close?(): Promise<void> | void;
}

/** Reserved for the UDP side so it fits beside dial() without a rewrite. */
export interface PacketConn {
  send(payload: Buffer, destination: Destination): Promise<void>;
  onMessage(handler: (payload: Buffer, source: Destination) => void): void;
  close(): void;
}
