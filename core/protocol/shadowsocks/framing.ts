import type { Destination } from '../../adapter/outbound.js';
import { encodeSocksAddress } from '../common/address.js';
import { ByteQueue } from '../common/byte-queue.js';
import { randomBytes } from '../common/random-pool.js';
import { ChunkCipher } from './chunk-cipher.js';
import { sessionSubkey } from './keys.js';
import { TAG_SIZE, type Method } from './methods.js';

/**
 * Shadowsocks framing, independent of the byte pipe under it (tcp, tls, ws):
 *
 *   stream  = salt, chunk*         chunk = seal(u16be length), seal(payload)
 *   SIP004: the first chunk's payload is the target address; payload ≤ 0x3FFF.
 *   SIP022: request  = salt, seal(type 0, u64 time, u16 len), seal(address, u16 padlen, padding), chunk*
 *           response = salt, seal(type 1, u64 time, request salt, u16 len), seal(payload), chunk*
 *           payload ≤ 0xFFFF.
 */

/** SIP004's cap on a chunk's payload (the two top bits of the length are reserved). */
export const AEAD_MAX_PAYLOAD = 0x3fff;
export const SS2022_MAX_PAYLOAD = 0xffff;
const SS2022_MAX_PADDING = 900;
/** SIP022: headers whose time differs from ours by more than this are replays. */
const SS2022_MAX_CLOCK_SKEW_S = 30;
const HEADER_TYPE_REQUEST = 0;
const HEADER_TYPE_RESPONSE = 1;

export interface FramingOptions {
  method: Method;
  /** Master key (SIP004) or PSK (SIP022), see keys.ts methodKey. */
  key: Buffer;
  /** ms since the epoch; SIP022 headers carry and check it. */
  now?: () => number;
  /** Source of salts and padding; tests pin it to get fixed bytes. */
  randomBytes?: (n: number) => Buffer;
}

/** Why a response stream could not be decoded. `auth` is a failed tag: wrong key or corruption. */
export type FrameErrorReason = 'auth' | 'length' | 'header-type' | 'timestamp' | 'salt-echo';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** The client's request stream: salt and header first, then payload chunks. */
export class RequestEncoder {
  readonly salt: Buffer;
  readonly maxPayload: number;
  private readonly cipher: ChunkCipher;
  private readonly method: Method;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;

  constructor(opts: FramingOptions) {
    this.method = opts.method;
    this.now = opts.now ?? Date.now;
    this.random = opts.randomBytes ?? randomBytes;
    this.salt = this.random(opts.method.saltSize);
    this.cipher = new ChunkCipher(opts.method.algorithm, sessionSubkey(opts.method, opts.key, this.salt));
    this.maxPayload = opts.method.edition === 'aead' ? AEAD_MAX_PAYLOAD : SS2022_MAX_PAYLOAD;
  }

  /** Set by begin(): what the first encode() sends before the payload (salt; SIP022's header chunks). */
  private pendingWire: Buffer[] | undefined;
  /** Set by begin() for SIP004: the target address, which opens the first chunk's plaintext. */
  private pendingAddress: Buffer | undefined;

  /**
   * Queues the request header to leave with the first encode(), which then starts the stream. SIP004 only
   * asks that the plaintext stream open with the target address, so the address and the first payload
   * share one chunk (as shadowsocks-rust sends them): two seals fewer per connection than a chunk of its
   * own. SIP022 keeps its fixed and variable header chunks. An encode() of nothing sends the header alone.
   * Throws HOST_UNREACHABLE for a target that cannot be addressed, before anything is sent.
   */
  begin(target: Destination): void {
    if (this.method.edition === 'aead') {
      this.pendingAddress = encodeSocksAddress(target);
      this.pendingWire = [this.salt];
    } else {
      this.pendingWire = this.header(target);
    }
  }

  /** Salt plus the header chunk(s) naming the target, on their own: the first bytes of the request stream. */
  header(target: Destination): Buffer[] {
    const address = encodeSocksAddress(target);
    const out: Buffer[] = [this.salt];
    if (this.method.edition === 'aead') {
      this.encode([address], out);
      return out;
    }
    // SIP022 wants padding whenever the header goes out without payload, as ours does.
    const padLength = 1 + (this.random(2).readUInt16BE(0) % SS2022_MAX_PADDING);
    const variable = Buffer.alloc(address.length + 2 + padLength);
    address.copy(variable, 0);
    variable.writeUInt16BE(padLength, address.length);
    this.random(padLength).copy(variable, address.length + 2);
    const fixed = Buffer.alloc(1 + 8 + 2);
    fixed[0] = HEADER_TYPE_REQUEST;
    fixed.writeBigUInt64BE(BigInt(Math.floor(this.now() / 1000)), 1);
    fixed.writeUInt16BE(variable.length, 9);
    this.cipher.seal([fixed], out);
    this.cipher.seal([variable], out);
    return out;
  }

  /**
   * Encrypts payload given as any number of buffers into chunks of at most maxPayload bytes, appending the
   * wire buffers to `out`. Small buffers are batched into one chunk without copying them together.
   */
  encode(pieces: readonly Buffer[], out: Buffer[]): void {
    if (this.pendingWire) {
      out.push(...this.pendingWire);
      this.pendingWire = undefined;
      if (this.pendingAddress) {
        pieces = [this.pendingAddress, ...pieces];
        this.pendingAddress = undefined;
      }
    }
    let group: Buffer[] = [];
    let size = 0;
    const flush = () => {
      const length = Buffer.allocUnsafe(2);
      length.writeUInt16BE(size);
      this.cipher.seal([length], out);
      this.cipher.seal(group, out);
      group = [];
      size = 0;
    };
    for (const piece of pieces) {
      let rest = piece;
      while (rest.length > 0) {
        const room = this.maxPayload - size;
        const part = rest.length <= room ? rest : rest.subarray(0, room);
        group.push(part);
        size += part.length;
        rest = rest.subarray(part.length);
        if (size === this.maxPayload) flush();
      }
    }
    if (size > 0) flush();
  }
}

type DecodeState = 'salt' | 'response-header' | 'length' | 'payload';

/** The server's response stream, parsed from a ByteQueue as bytes arrive. */
export class ResponseDecoder {
  private state: DecodeState = 'salt';
  private payloadLength = 0;
  private cipher?: ChunkCipher;
  private readonly now: () => number;
  /** True once a chunk has authenticated: from then on the key is known to be right. */
  authenticated = false;

  constructor(
    private readonly opts: FramingOptions,
    /** SIP022 only: the server must echo our request salt. */
    private readonly requestSalt?: Buffer,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** True when no chunk is partly received: an end of stream here is a clean end. */
  atChunkBoundary(queue: ByteQueue): boolean {
    return queue.length === 0 && this.state === 'length';
  }

  /**
   * Decodes every complete chunk in `queue`, handing each payload (as pieces) to `onPayload`. Stops early and
   * returns false when onPayload returns false (the reader is full); true when it needs more bytes.
   * Throws FrameError when the stream cannot be authenticated or parsed.
   *
   * With `into`, payloads are opened one after another into the buffer it returns (called once, at the first
   * payload, for at least `queue.length` bytes: plaintext is shorter than what is queued), and onPayload gets
   * views of it; without, each payload is a new buffer.
   */
  decode(queue: ByteQueue, onPayload: (pieces: Buffer[]) => boolean, into?: () => Buffer): boolean {
    const { method } = this.opts;
    let arena: Buffer | undefined;
    let used = 0;
    for (;;) {
      switch (this.state) {
        case 'salt': {
          if (queue.length < method.saltSize) return true;
          const salt = queue.takeContiguous(method.saltSize);
          this.cipher = new ChunkCipher(method.algorithm, sessionSubkey(method, this.opts.key, salt));
          this.state = method.edition === '2022' ? 'response-header' : 'length';
          break;
        }
        case 'response-header': {
          const size = 1 + 8 + method.saltSize + 2;
          if (queue.length < size + TAG_SIZE) return true;
          const header = this.openContiguous(queue, size);
          this.checkResponseHeader(header);
          this.payloadLength = header.readUInt16BE(size - 2);
          this.state = 'payload';
          break;
        }
        case 'length': {
          if (queue.length < 2 + TAG_SIZE) return true;
          const length = this.openContiguous(queue, 2).readUInt16BE(0);
          if (method.edition === 'aead' && length > AEAD_MAX_PAYLOAD) {
            throw new FrameError('length', `chunk length ${length} exceeds ${AEAD_MAX_PAYLOAD}`);
          }
          this.payloadLength = length;
          this.state = 'payload';
          break;
        }
        case 'payload': {
          if (queue.length < this.payloadLength + TAG_SIZE) return true;
          if (into) arena ??= into(); // before this chunk leaves the queue: it bounds the plaintext to come
          const pieces = this.payloadLength > 0 ? queue.take(this.payloadLength) : [];
          const tag = queue.takeContiguous(TAG_SIZE);
          let plain: Buffer[] | undefined;
          if (arena) {
            if (this.cipher!.openInto(pieces, tag, arena, used)) plain = this.payloadLength > 0 ? [arena.subarray(used, (used += this.payloadLength))] : [];
          } else plain = this.cipher!.open(pieces, tag);
          if (!plain) throw new FrameError('auth', 'payload chunk failed authentication');
          this.state = 'length';
          if (plain.length > 0 && !onPayload(plain)) return false;
          break;
        }
      }
    }
  }

  private openContiguous(queue: ByteQueue, size: number): Buffer {
    const sealed = queue.takeContiguous(size + TAG_SIZE);
    const plain = this.cipher!.open([sealed.subarray(0, size)], sealed.subarray(size));
    if (!plain) throw new FrameError('auth', this.authenticated ? 'length chunk failed authentication' : 'first chunk failed authentication');
    this.authenticated = true;
    return plain.length === 1 ? plain[0]! : Buffer.concat(plain);
  }

  private checkResponseHeader(header: Buffer): void {
    if (header[0] !== HEADER_TYPE_RESPONSE) throw new FrameError('header-type', `response header type ${header[0]}, expected ${HEADER_TYPE_RESPONSE}`);
    const skew = Math.abs(Number(header.readBigUInt64BE(1)) - Math.floor(this.now() / 1000));
    if (skew > SS2022_MAX_CLOCK_SKEW_S) throw new FrameError('timestamp', `response header time is ${skew} s off our clock`);
    const echo = header.subarray(9, 9 + this.opts.method.saltSize);
    if (!this.requestSalt || !echo.equals(this.requestSalt)) throw new FrameError('salt-echo', 'response header does not echo our request salt');
  }
}
