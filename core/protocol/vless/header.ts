import type { Destination } from '../../adapter/outbound.js';
import { ProxyError } from '../../adapter/errors.js';
import { encodePortThenAddress } from '../common/address.js';
import { ByteQueue } from '../common/byte-queue.js';
import type { StreamCodec } from '../common/framed-stream.js';

const VERSION = 0;
const COMMAND_TCP = 1;

/**
 * The VLESS request (XTLS VLESS spec, version 0): version, UUID, addons length 0 (no flow), command,
 * port, address type, address.
 */
export function encodeVlessRequest(uuid: Buffer, dest: Destination): Buffer {
  const address = encodePortThenAddress(dest);
  const head = Buffer.allocUnsafe(1 + 16 + 1 + 1);
  head[0] = VERSION;
  uuid.copy(head, 1);
  head[17] = 0; // addons length: no flow, no addons
  head[18] = COMMAND_TCP;
  return Buffer.concat([head, address]);
}

/**
 * Payload passes through unchanged; the server's response header (version, addons length, addons) is
 * stripped from the first bytes received, however they are split.
 */
export class VlessCodec implements StreamCodec {
  answered = false;
  private headerDone = false;
  private version: number | undefined;
  private addonsLength: number | undefined;
  private readonly pending = new ByteQueue();

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    for (const p of payload) out.push(p);
  }

  finish(): void {}

  decode(data: Buffer, push: (payload: Buffer) => void): boolean {
    if (this.headerDone) {
      push(data);
      return false;
    }
    this.pending.push(data);
    if (this.version === undefined) {
      if (this.pending.length < 1) return false;
      this.version = this.pending.takeContiguous(1)[0]!;
      if (this.version !== VERSION) {
        throw new ProxyError('UPSTREAM_PROTOCOL', `VLESS server answered version ${this.version}, expected ${VERSION}`);
      }
      this.answered = true;
    }
    if (this.addonsLength === undefined) {
      if (this.pending.length < 1) return false;
      this.addonsLength = this.pending.takeContiguous(1)[0]!;
    }
    if (this.pending.length < this.addonsLength) return false;
    this.pending.take(this.addonsLength); // response addons carry nothing we use without a flow
    this.headerDone = true;
    for (const p of this.pending.drain()) push(p);
    return false;
  }
}
