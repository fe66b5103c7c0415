import crypto from 'node:crypto';
import type { Destination } from '../../adapter/outbound.js';
import { encodeSocksAddress } from '../common/address.js';
import type { StreamCodec } from '../common/framed-stream.js';

const CRLF = Buffer.from('\r\n');
const COMMAND_CONNECT = 1;

/** The 56 ASCII hex digits of SHA-224(password) that open every Trojan request. */
export function trojanPasswordHash(password: string): Buffer {
  return Buffer.from(crypto.createHash('sha224').update(password, 'utf8').digest('hex'), 'ascii');
}

/** hex(SHA-224(password)) CRLF CMD ATYP DST.ADDR DST.PORT CRLF — the payload follows directly. */
export function encodeTrojanRequest(passwordHash: Buffer, dest: Destination): Buffer {
  return Buffer.concat([passwordHash, CRLF, Buffer.from([COMMAND_CONNECT]), encodeSocksAddress(dest), CRLF]);
}

/** Trojan has no response header: everything after the request is the destination's bytes, both ways. */
export class TrojanCodec implements StreamCodec {
  answered = false;

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    for (const p of payload) out.push(p);
  }

  finish(): void {}

  decode(data: Buffer, push: (payload: Buffer) => void): boolean {
    this.answered = true;
    push(data);
    return false;
  }
}
