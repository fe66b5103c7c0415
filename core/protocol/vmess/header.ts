import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Destination } from '../../adapter/outbound.js';
import { ProxyError } from '../../adapter/errors.js';
import { encodePortThenAddress } from '../common/address.js';
import type { ByteQueue } from '../common/byte-queue.js';
import { randomBytes } from '../common/random-pool.js';
import { fnv1a32, kdf, kdf16 } from './kdf.js';

/** Request options (v2ray common/protocol/headers.go). */
export const OPTION_CHUNK_STREAM = 0x01;
export const OPTION_CHUNK_MASKING = 0x04;
export const OPTION_GLOBAL_PADDING = 0x08;

const VERSION = 1;
const COMMAND_TCP = 1;
const TAG = 16;

function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const c = crypto.createCipheriv('aes-128-gcm', key, iv);
  if (aad) c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** Returns undefined when the tag does not verify. */
function gcmOpen(key: Buffer, iv: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  const d = crypto.createDecipheriv('aes-128-gcm', key, iv);
  if (aad) d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return undefined;
  }
}

/**
 * AuthID: AES-128-ECB, keyed by KDF16(cmdKey, "AES Auth ID Encryption"), of
 * unix time (8 bytes BE) ‖ 4 random bytes ‖ CRC32 of those 12 bytes. The server finds the user by it.
 */
export function createAuthId(cmdKey: Buffer, unixSeconds: number, random = randomBytes(4)): Buffer {
  const plain = Buffer.alloc(16);
  plain.writeBigUInt64BE(BigInt(unixSeconds), 0);
  random.copy(plain, 8, 0, 4);
  plain.writeUInt32BE(zlib.crc32(plain.subarray(0, 12)), 12);
  return authIdCipher(cmdKey).update(plain);
}

/**
 * The AuthID's AES-128-ECB encryptor, one per user key: ECB without padding holds no state between
 * blocks, so a single cipher serves every connection (and its key derivation runs once, not per dial).
 */
const authIdCiphers = new WeakMap<Buffer, crypto.Cipher>();
function authIdCipher(cmdKey: Buffer): crypto.Cipher {
  let ecb = authIdCiphers.get(cmdKey);
  if (!ecb) {
    ecb = crypto.createCipheriv('aes-128-ecb', kdf16(cmdKey, 'AES Auth ID Encryption'), null);
    ecb.setAutoPadding(false);
    authIdCiphers.set(cmdKey, ecb);
  }
  return ecb;
}

export interface RequestCommand {
  bodyIv: Buffer;
  bodyKey: Buffer;
  /** The byte the server must echo first in its response header. */
  responseAuth: number;
  options: number;
  /** 3 aes-128-gcm, 4 chacha20-poly1305, 5 none. */
  securityByte: number;
  destination: Destination;
  paddingLength: number;
}

/**
 * The request command before sealing: version, body IV, body key, response auth, options,
 * padding length << 4 | security, reserved, command, port, address, padding, FNV-1a of all before.
 */
export function encodeRequestCommand(r: RequestCommand): Buffer {
  const fixed = Buffer.allocUnsafe(41);
  fixed[0] = VERSION;
  r.bodyIv.copy(fixed, 1, 0, 16);
  r.bodyKey.copy(fixed, 17, 0, 16);
  fixed[33] = r.responseAuth;
  fixed[34] = r.options;
  fixed[35] = (r.paddingLength << 4) | r.securityByte;
  fixed[36] = 0;
  fixed[37] = COMMAND_TCP;
  const body = Buffer.concat([fixed.subarray(0, 38), encodePortThenAddress(r.destination), randomBytes(r.paddingLength)]);
  const sum = Buffer.allocUnsafe(4);
  sum.writeUInt32BE(fnv1a32(body), 0);
  return Buffer.concat([body, sum]);
}

/**
 * Seals the command the AEAD way (v2fly SealVMessAEADHeader):
 * AuthID ‖ GCM(length, 2 bytes) ‖ connection nonce (8) ‖ GCM(command), both with the AuthID as AAD and
 * keys / nonces from the KDF over cmdKey, AuthID and connection nonce.
 */
export function sealRequestHeader(cmdKey: Buffer, command: Buffer, unixSeconds: number): Buffer {
  const authId = createAuthId(cmdKey, unixSeconds);
  const nonce = randomBytes(8);
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16BE(command.length, 0);
  const sealedLength = gcmSeal(
    kdf16(cmdKey, 'VMess Header AEAD Key_Length', authId, nonce),
    kdf(cmdKey, 'VMess Header AEAD Nonce_Length', authId, nonce).subarray(0, 12),
    length,
    authId,
  );
  const sealedCommand = gcmSeal(
    kdf16(cmdKey, 'VMess Header AEAD Key', authId, nonce),
    kdf(cmdKey, 'VMess Header AEAD Nonce', authId, nonce).subarray(0, 12),
    command,
    authId,
  );
  return Buffer.concat([authId, sealedLength, nonce, sealedCommand]);
}

/**
 * Reads the AEAD response header: GCM(length) in 18 bytes, then GCM(header) of length + 16 bytes; the
 * header starts with our response auth byte. Keys come from the KDF over the response body key / IV.
 * A tag that does not verify or a wrong auth byte means the server is not the one we think (wrong uuid).
 */
export class ResponseHeaderReader {
  private length = -1;

  constructor(
    private readonly responseKey: Buffer,
    private readonly responseIv: Buffer,
    private readonly responseAuth: number,
  ) {}

  /** Consumes the header from `pending`; true once it has been read and verified. */
  read(pending: ByteQueue): boolean {
    if (this.length < 0) {
      if (pending.length < 2 + TAG) return false;
      const opened = gcmOpen(
        kdf16(this.responseKey, 'AEAD Resp Header Len Key'),
        kdf(this.responseIv, 'AEAD Resp Header Len IV').subarray(0, 12),
        pending.takeContiguous(2 + TAG),
      );
      if (!opened) throw authError();
      this.length = opened.readUInt16BE(0);
    }
    if (pending.length < this.length + TAG) return false;
    const header = gcmOpen(
      kdf16(this.responseKey, 'AEAD Resp Header Key'),
      kdf(this.responseIv, 'AEAD Resp Header IV').subarray(0, 12),
      pending.takeContiguous(this.length + TAG),
    );
    if (!header || header.length < 4 || header[0] !== this.responseAuth) throw authError();
    // header[1] options, header[2..] a dynamic-port command we do not follow.
    return true;
  }
}

function authError(): ProxyError {
  return new ProxyError('UPSTREAM_AUTH_FAILED', 'VMess response header did not authenticate — wrong uuid?');
}
