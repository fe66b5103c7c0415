import { newMeta, openTunnel, type TunnelAnswers } from './context.js';
import { ClientHandshake } from './handshake.js';

/**
 * SOCKS4 and SOCKS4a server side (CONNECT only). SOCKS4 carries no password, so it is refused whenever
 * the inbound requires authentication.
 */

const MAX_FIELD = 255;

export type Socks4Request = { command: number; host: string; port: number; userId: string; size: number } | { invalid: true };

/** VN CD DSTPORT DSTIP USERID NUL [DOMAIN NUL when DSTIP is 0.0.0.x, x≠0 (4a)]; undefined until complete. */
export function parseSocks4Request(b: Buffer): Socks4Request | undefined {
  if (b.length < 9) return undefined;
  const userEnd = b.indexOf(0, 8);
  if (userEnd < 0) return b.length > 8 + MAX_FIELD ? { invalid: true } : undefined;
  const command = b[1]!;
  const port = b.readUInt16BE(2);
  const userId = b.toString('utf8', 8, userEnd);
  const socks4a = b[4] === 0 && b[5] === 0 && b[6] === 0 && b[7] !== 0;
  if (!socks4a) return { command, host: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port, userId, size: userEnd + 1 };
  const domainEnd = b.indexOf(0, userEnd + 1);
  if (domainEnd < 0) return b.length - userEnd - 1 > MAX_FIELD ? { invalid: true } : undefined;
  if (domainEnd === userEnd + 1) return { invalid: true };
  return { command, host: b.toString('utf8', userEnd + 1, domainEnd), port, userId, size: domainEnd + 1 };
}

export const SOCKS4_GRANTED = Buffer.from([0x00, 0x5a, 0, 0, 0, 0, 0, 0]);
export const SOCKS4_REJECTED = Buffer.from([0x00, 0x5b, 0, 0, 0, 0, 0, 0]);

const answers: TunnelAnswers = { success: SOCKS4_GRANTED, failure: () => SOCKS4_REJECTED };

/** One client's SOCKS4/4a request; the first byte (0x04) has been seen by the mixed listener. */
export class Socks4Handshake extends ClientHandshake {
  protected advance(): void {
    const request = parseSocks4Request(this.buf);
    if (!request) return;
    if ('invalid' in request) return this.fail(SOCKS4_REJECTED);
    this.consume(request.size);
    if (this.ctx.credentials !== undefined) {
      this.ctx.logger.debug({ src: this.socket.remoteAddress }, 'socks4 refused: authentication is required');
      return this.fail(SOCKS4_REJECTED);
    }
    // Only CONNECT (1); BIND (2) is not offered.
    if (request.command !== 0x01) return this.fail(SOCKS4_REJECTED);
    this.finish();
    void openTunnel(this.ctx, this.socket, newMeta('socks4', this.socket, request.host, request.port), answers);
  }
}
