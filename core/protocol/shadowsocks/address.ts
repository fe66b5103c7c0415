import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Destination } from '../../adapter/outbound.js';

/** The target as SOCKS5 writes it (RFC 1928 §5): ATYP, address, port — the header of every SS request. */
export function encodeSocksAddress(dest: Destination): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(dest.port);
  const family = net.isIP(dest.host);
  if (family !== 0) {
    const bytes = Buffer.from(ipaddr.parse(dest.host).toByteArray());
    return Buffer.concat([Buffer.from([family === 4 ? 0x01 : 0x04]), bytes, port]);
  }
  const name = Buffer.from(dest.host, 'utf8');
  if (name.length === 0 || name.length > 255) throw new RangeError(`host name must be 1-255 bytes, got ${name.length}`);
  return Buffer.concat([Buffer.from([0x03, name.length]), name, port]);
}
