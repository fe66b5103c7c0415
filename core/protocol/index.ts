import { ProtocolRegistry } from './registry.js';
import * as direct from './direct/index.js';
import * as reject from './reject/index.js';
import * as socks5 from './socks5/index.js';
import * as http from './http/index.js';
import * as trojan from './trojan/index.js';
import * as vless from './vless/index.js';
import * as vmess from './vmess/index.js';
import * as shadowsocks from './shadowsocks/index.js';

/** Every outbound protocol, wired in one place: adding a protocol is a new folder plus one line here. */
const protocols: { register(registry: ProtocolRegistry): void }[] = [direct, reject, socks5, http, trojan, vless, vmess, shadowsocks];

export function createProtocolRegistry(): ProtocolRegistry {
  const registry = new ProtocolRegistry();
  for (const p of protocols) p.register(registry);
  return registry;
}
