import crypto from 'node:crypto';
import type { Destination } from '../../adapter/outbound.js';
import { ByteQueue } from '../common/byte-queue.js';
import { randomBytes } from '../common/random-pool.js';
import type { StreamCodec } from '../common/framed-stream.js';
import { ChunkAead, ChunkReader, ChunkWriter, SECURITY_BYTE, ShakeMask, type BodySecurity } from './chunk.js';
import {
  OPTION_CHUNK_MASKING,
  OPTION_CHUNK_STREAM,
  OPTION_GLOBAL_PADDING,
  ResponseHeaderReader,
  encodeRequestCommand,
  sealRequestHeader,
} from './header.js';

const sha256First16 = (b: Buffer) => crypto.createHash('sha256').update(b).digest().subarray(0, 16);

/** One VMess connection's framing: chunked body both ways, response header stripped first. */
export class VmessCodec implements StreamCodec {
  answered = false;
  private readonly pending = new ByteQueue();

  constructor(
    private readonly writer: ChunkWriter,
    private readonly responseHeader: ResponseHeaderReader,
    private readonly reader: ChunkReader,
    /** With a cipher every payload is a new buffer (the decryption's), so reads may be borrowed. */
    readonly decodesBorrowedReads = false,
  ) {}

  encode(payload: readonly Buffer[], out: Buffer[]): void {
    for (const p of payload) this.writer.write(p, out);
  }

  finish(out: Buffer[]): void {
    this.writer.end(out);
  }

  reuseOutput(): void {
    this.reader.output.reuse = true;
  }

  decode(data: Buffer, push: (payload: Buffer) => void, borrowed = false): boolean {
    this.pending.push(data);
    let ended = false;
    if (!this.answered && this.responseHeader.read(this.pending)) this.answered = true;
    if (this.answered) ended = this.reader.read(this.pending, push);
    // The part of a chunk that the next read completes must outlive this read's buffer.
    if (borrowed && !ended) this.pending.detach();
    return ended;
  }
}

/**
 * Starts a VMess AEAD session (alterId 0) to `destination`: random body key / IV and response auth byte,
 * the sealed request header, and the codec. Options are those v2ray's own client sends: ChunkStream and
 * ChunkMasking, plus GlobalPadding for the AEAD ciphers. The response body key / IV are the first 16
 * bytes of SHA-256 of the request's.
 */
export function startVmessSession(
  cmdKey: Buffer,
  security: BodySecurity,
  destination: Destination,
  unixSeconds = Math.floor(Date.now() / 1000),
): { header: Buffer; codec: VmessCodec } {
  const random = randomBytes(34);
  const bodyKey = random.subarray(0, 16);
  const bodyIv = random.subarray(16, 32);
  const responseAuth = random[32]!;
  const padding = security !== 'none';
  const options = OPTION_CHUNK_STREAM | OPTION_CHUNK_MASKING | (padding ? OPTION_GLOBAL_PADDING : 0);
  const command = encodeRequestCommand({
    bodyIv,
    bodyKey,
    responseAuth,
    options,
    securityByte: SECURITY_BYTE[security],
    destination,
    paddingLength: random[33]! & 0x0f,
  });
  const responseKey = sha256First16(bodyKey);
  const responseIv = sha256First16(bodyIv);
  const aead = (key: Buffer, iv: Buffer) => (security === 'none' ? undefined : new ChunkAead(security, key, iv));
  const codec = new VmessCodec(
    new ChunkWriter(aead(bodyKey, bodyIv), new ShakeMask(bodyIv), padding),
    new ResponseHeaderReader(responseKey, responseIv, responseAuth),
    new ChunkReader(aead(responseKey, responseIv), new ShakeMask(responseIv), padding),
    security !== 'none',
  );
  return { header: sealRequestHeader(cmdKey, command, unixSeconds), codec };
}
