import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Destination } from '../../adapter/outbound.js';
import { ProxyError } from '../../adapter/errors.js';

/**
 * Destination encodings of the V2Ray family. VLESS and VMess write the port first and number the address
 * types 1 IPv4, 2 domain, 3 IPv6; Trojan and Shadowsocks use the SOCKS5 layout (RFC 1928: 1 IPv4,
 * 3 domain, 4 IPv6, then the port).
 */
type AddressKind = 'ipv4' | 'domain' | 'ipv6';

function addressBytes(host: string): { kind: AddressKind; bytes: Buffer } {
  const family = net.isIP(host);
  // isIP admits only four plain decimal octets, so splitting is exact (and cheaper than a parser per dial).
  if (family === 4) return { kind: 'ipv4', bytes: Buffer.from(host.split('.').map(Number)) };
  if (family === 6) return { kind: 'ipv6', bytes: Buffer.from(ipaddr.parse(host).toByteArray()) };
  const name = Buffer.from(host, 'utf8');
  if (name.length === 0 || name.length > 255) {
    throw new ProxyError('HOST_UNREACHABLE', `destination name must be 1-255 bytes, got ${name.length}`);
  }
  return { kind: 'domain', bytes: Buffer.concat([Buffer.from([name.length]), name]) };
}

const V2RAY_TYPES: Record<AddressKind, number> = { ipv4: 1, domain: 2, ipv6: 3 };
const SOCKS_TYPES: Record<AddressKind, number> = { ipv4: 1, domain: 3, ipv6: 4 };

/** VLESS / VMess: port (2 bytes, big-endian), address type, address. */
export function encodePortThenAddress(dest: Destination): Buffer {
  const { kind, bytes } = addressBytes(dest.host);
  const out = Buffer.allocUnsafe(3 + bytes.length);
  out.writeUInt16BE(dest.port, 0);
  out[2] = V2RAY_TYPES[kind];
  bytes.copy(out, 3);
  return out;
}

/** Trojan and Shadowsocks: address type, address, port — the SOCKS5 request layout. */
export function encodeSocksAddress(dest: Destination): Buffer {
  const { kind, bytes } = addressBytes(dest.host);
  const out = Buffer.allocUnsafe(3 + bytes.length);
  out[0] = SOCKS_TYPES[kind];
  bytes.copy(out, 1);
  out.writeUInt16BE(dest.port, 1 + bytes.length);
  return out;
}
