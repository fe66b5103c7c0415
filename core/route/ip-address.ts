import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** An IP address as the CIDR trie walks it: 4 or 16 bytes, network order. */
export interface IpBytes {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
}

/**
 * Parses an IP literal (no brackets); undefined for a domain name. An IPv4-mapped IPv6 address
 * (::ffff:10.0.0.1) comes back as IPv4, so it matches IPv4 ranges as the same host would.
 */
export function parseIp(text: string): IpBytes | undefined {
  const kind = net.isIP(text);
  if (kind === 4) return { v6: false, bytes: parseV4(text) };
  if (kind !== 6) return undefined;
  const zone = text.indexOf('%');
  const addr = ipaddr.IPv6.parse(zone < 0 ? text : text.slice(0, zone));
  if (addr.isIPv4MappedAddress()) return { v6: false, bytes: Uint8Array.from(addr.toIPv4Address().toByteArray()) };
  return { v6: true, bytes: Uint8Array.from(addr.toByteArray()) };
}

/** net.isIP has vouched for the text: four decimal octets. */
function parseV4(text: string): Uint8Array {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      out[part++] = value;
      value = 0;
    } else value = value * 10 + (c - 48);
  }
  out[part] = value;
  return out;
}

/** A CIDR payload as bytes and prefix length; throws on anything ipaddr.js cannot read. */
export function parseCidr(payload: string): { ip: IpBytes; bits: number } {
  const [addr, bits] = ipaddr.parseCIDR(payload);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return { ip: { v6: false, bytes: Uint8Array.from((addr as ipaddr.IPv6).toIPv4Address().toByteArray()) }, bits: bits - 96 };
  }
  return { ip: { v6: addr.kind() === 'ipv6', bytes: Uint8Array.from(addr.toByteArray()) }, bits };
}

/** Whether `ip` lies in `base/bits` (same family only). */
export function inCidr(ip: IpBytes, base: IpBytes, bits: number): boolean {
  if (ip.v6 !== base.v6) return false;
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== base.bytes[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[full]! & mask) === (base.bytes[full]! & mask);
}
