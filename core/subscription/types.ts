/**
 * Plain data in the Clash/mihomo `proxies:` shape — the same objects a profile holds. Share links are
 * read into these and written from these; the outbound protocols validate and run them.
 */

/** Any `proxies:` entry, as a Clash YAML body holds it (kept as-is, unknown fields included). */
export type ProxyConfig = { name: string; type: string; server: string; port: number } & Record<string, unknown>;

export type WsOpts = {
  path?: string;
  headers?: { Host?: string };
  /** mihomo: an HTTP Upgrade without WebSocket framing (Xray `httpupgrade`). */
  'v2ray-http-upgrade'?: true;
};
export type H2Opts = { host?: string[]; path?: string };
export type HttpOpts = { path?: string[]; headers?: { Host?: string[] } };
export type GrpcOpts = { 'grpc-service-name'?: string };
export type RealityOpts = { 'public-key': string; 'short-id'?: string };

/** The transport part shared by vmess, vless and trojan. `network` is always present, `tcp` by default. */
export type TransportFields = {
  network: 'tcp' | 'ws' | 'h2' | 'http' | 'grpc';
  'ws-opts'?: WsOpts;
  'h2-opts'?: H2Opts;
  'http-opts'?: HttpOpts;
  'grpc-opts'?: GrpcOpts;
};

export type ObfsPluginOpts = { mode: 'http' | 'tls'; host?: string };
export type V2rayPluginOpts = { mode: 'websocket'; host?: string; path?: string; tls?: true; mux?: boolean };

export type ShadowsocksProxy = {
  name: string;
  type: 'ss';
  server: string;
  port: number;
  cipher: string;
  password: string;
} & (
  | { plugin?: undefined; 'plugin-opts'?: undefined }
  | { plugin: 'obfs'; 'plugin-opts': ObfsPluginOpts }
  | { plugin: 'v2ray-plugin'; 'plugin-opts': V2rayPluginOpts }
);

export type VmessProxy = {
  name: string;
  type: 'vmess';
  server: string;
  port: number;
  uuid: string;
  alterId: number;
  cipher: 'auto' | 'none' | 'zero' | 'aes-128-gcm' | 'chacha20-poly1305';
  tls?: true;
  servername?: string;
  alpn?: string[];
  'client-fingerprint'?: string;
} & TransportFields;

export type VlessProxy = {
  name: string;
  type: 'vless';
  server: string;
  port: number;
  uuid: string;
  flow?: string;
  /** VLESS encryption other than `none` (mihomo's `encryption` field). */
  encryption?: string;
  tls?: true;
  servername?: string;
  alpn?: string[];
  'client-fingerprint'?: string;
  'skip-cert-verify'?: true;
  'reality-opts'?: RealityOpts;
} & TransportFields;

export type TrojanProxy = {
  name: string;
  type: 'trojan';
  server: string;
  port: number;
  password: string;
  sni?: string;
  alpn?: string[];
  'client-fingerprint'?: string;
  'skip-cert-verify'?: true;
  'reality-opts'?: RealityOpts;
} & TransportFields;

export type Socks5Proxy = {
  name: string;
  type: 'socks5';
  server: string;
  port: number;
  username?: string;
  password?: string;
  tls?: true;
};

export type HttpProxy = {
  name: string;
  type: 'http';
  server: string;
  port: number;
  username?: string;
  password?: string;
  tls?: true;
};

/** What a share link reads into. */
export type LinkProxy = ShadowsocksProxy | VmessProxy | VlessProxy | TrojanProxy | Socks5Proxy | HttpProxy;

/** The Clash types this project runs; other `proxies:` entries are kept but marked unsupported. */
export const SUPPORTED_TYPES: readonly string[] = ['ss', 'vmess', 'vless', 'trojan', 'socks5', 'http'];

/**
 * A server we cannot run yet, kept so the user sees it and a later version can pick it up:
 * from a share link (`link`) or from a Clash YAML entry (`proxy`, as-is).
 */
export type UnsupportedEntry = {
  unsupported: true;
  /** The link scheme (`hysteria2`) or, for a YAML entry, its `type`. */
  scheme: string;
  link?: string;
  proxy?: Record<string, unknown>;
  name?: string;
  reason: string;
};
