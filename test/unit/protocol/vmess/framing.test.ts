import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kdf, kdf16, vmessCmdKey } from '../../../../core/protocol/vmess/kdf.js';
import { ResponseHeaderReader, encodeRequestCommand, sealRequestHeader } from '../../../../core/protocol/vmess/header.js';
import { ChunkAead, ChunkReader, ChunkWriter, ShakeMask } from '../../../../core/protocol/vmess/chunk.js';
import { startVmessSession } from '../../../../core/protocol/vmess/codec.js';
import { ByteQueue } from '../../../../core/protocol/common/byte-queue.js';
import { uuidBytes } from '../../../../core/protocol/vless/uuid.js';
import { ProxyError } from '../../../../core/adapter/errors.js';

const cmdKey = vmessCmdKey(uuidBytes('5783a3e7-e373-51cd-8642-c83782b807c5'));

/** The server's side of SealVMessAEADHeader, written from the spec with node:crypto. */
function openRequestHeader(sealed: Buffer): Buffer {
  const authId = sealed.subarray(0, 16);
  const nonce = sealed.subarray(34, 42);
  const open = (key: Buffer, iv: Buffer, data: Buffer) => {
    const d = crypto.createDecipheriv('aes-128-gcm', key, iv);
    d.setAAD(authId);
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  };
  const len = open(
    kdf16(cmdKey, 'VMess Header AEAD Key_Length', authId, nonce),
    kdf(cmdKey, 'VMess Header AEAD Nonce_Length', authId, nonce).subarray(0, 12),
    sealed.subarray(16, 34),
  ).readUInt16BE(0);
  expect(sealed.length).toBe(42 + len + 16);
  return open(kdf16(cmdKey, 'VMess Header AEAD Key', authId, nonce), kdf(cmdKey, 'VMess Header AEAD Nonce', authId, nonce).subarray(0, 12), sealed.subarray(42));
}

/** The server's response header: GCM(length) then GCM(header), keys from the response key / IV. */
function sealResponseHeader(responseKey: Buffer, responseIv: Buffer, header: Buffer): Buffer {
  const seal = (key: Buffer, iv: Buffer, data: Buffer) => {
    const c = crypto.createCipheriv('aes-128-gcm', key, iv);
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  };
  const len = Buffer.alloc(2);
  len.writeUInt16BE(header.length);
  return Buffer.concat([
    seal(kdf16(responseKey, 'AEAD Resp Header Len Key'), kdf(responseIv, 'AEAD Resp Header Len IV').subarray(0, 12), len),
    seal(kdf16(responseKey, 'AEAD Resp Header Key'), kdf(responseIv, 'AEAD Resp Header IV').subarray(0, 12), header),
  ]);
}

describe('VMess request header', () => {
  it('seals a command the server side opens, laid out as the spec says', () => {
    const bodyIv = crypto.randomBytes(16);
    const bodyKey = crypto.randomBytes(16);
    const command = encodeRequestCommand({
      bodyIv,
      bodyKey,
      responseAuth: 0x5a,
      options: 0x0d,
      securityByte: 3,
      destination: { host: 'example.com', port: 443 },
      paddingLength: 5,
    });
    const opened = openRequestHeader(sealRequestHeader(cmdKey, command, Math.floor(Date.now() / 1000)));
    expect(opened).toEqual(command);
    expect(opened[0]).toBe(1); // version
    expect(opened.subarray(1, 17)).toEqual(bodyIv);
    expect(opened.subarray(17, 33)).toEqual(bodyKey);
    expect(opened[33]).toBe(0x5a);
    expect(opened[34]).toBe(0x0d);
    expect(opened[35]).toBe((5 << 4) | 3);
    expect(opened[36]).toBe(0);
    expect(opened[37]).toBe(1); // TCP
    expect(opened.readUInt16BE(38)).toBe(443);
    expect(opened[40]).toBe(2); // domain
    expect(opened[41]).toBe(11);
    expect(opened.subarray(42, 53).toString()).toBe('example.com');
    expect(opened.length).toBe(53 + 5 + 4); // padding, FNV-1a
  });
});

describe('VMess response header', () => {
  const responseKey = crypto.randomBytes(16);
  const responseIv = crypto.randomBytes(16);

  it('is read however the bytes are split, and its auth byte checked', () => {
    const wire = sealResponseHeader(responseKey, responseIv, Buffer.from([0x77, 0, 0, 0]));
    const reader = new ResponseHeaderReader(responseKey, responseIv, 0x77);
    const q = new ByteQueue();
    for (let i = 0; i < wire.length - 1; i++) {
      q.push(wire.subarray(i, i + 1));
      expect(reader.read(q)).toBe(false);
    }
    q.push(wire.subarray(wire.length - 1));
    expect(reader.read(q)).toBe(true);
    expect(q.length).toBe(0);
  });

  it('fails with UPSTREAM_AUTH_FAILED on a wrong auth byte or bytes that do not authenticate', () => {
    const q = new ByteQueue();
    q.push(sealResponseHeader(responseKey, responseIv, Buffer.from([0x78, 0, 0, 0])));
    expect(() => new ResponseHeaderReader(responseKey, responseIv, 0x77).read(q)).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_AUTH_FAILED' }),
    );
    const garbage = new ByteQueue();
    garbage.push(crypto.randomBytes(64));
    expect(() => new ResponseHeaderReader(responseKey, responseIv, 0x77).read(garbage)).toThrow(ProxyError);
  });
});

describe('VMess body chunks', () => {
  const key = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);

  it('aes-128-gcm with masking and padding: decodes per the spec (SHAKE128 masks from node:crypto)', () => {
    const out: Buffer[] = [];
    const writer = new ChunkWriter(new ChunkAead('aes-128-gcm', key, iv), new ShakeMask(iv), true);
    const payload = crypto.randomBytes(40_000); // three chunks of at most 16 KiB
    writer.write(payload, out);
    writer.end(out);
    const wire = Buffer.concat(out);

    // Independent SHAKE128 (OpenSSL) for the masks: padding length first, then the size mask, per chunk.
    const masks = crypto.createHash('shake128', { outputLength: 64 }).update(iv).digest();
    let m = 0;
    const nextMask = () => masks.readUInt16BE((m += 2) - 2);
    let off = 0;
    const plain: Buffer[] = [];
    for (let count = 0; ; count++) {
      const padding = nextMask() % 64;
      const size = nextMask() ^ wire.readUInt16BE(off);
      off += 2;
      if (size === 16 + padding) break; // end of stream
      const nonce = Buffer.concat([Buffer.from([count >> 8, count & 0xff]), iv.subarray(2, 12)]);
      const d = crypto.createDecipheriv('aes-128-gcm', key, nonce);
      const body = wire.subarray(off, off + size - padding);
      d.setAuthTag(body.subarray(body.length - 16));
      plain.push(d.update(body.subarray(0, body.length - 16)), d.final());
      off += size;
    }
    expect(Buffer.concat(plain)).toEqual(payload);
  });

  it('chacha20-poly1305 uses MD5(key) ‖ MD5(MD5(key)) as its key', () => {
    const out: Buffer[] = [];
    new ChunkWriter(new ChunkAead('chacha20-poly1305', key, iv), new ShakeMask(iv), false).write(Buffer.from('hello'), out);
    const wire = Buffer.concat(out);
    const first = crypto.createHash('md5').update(key).digest();
    const chachaKey = Buffer.concat([first, crypto.createHash('md5').update(first).digest()]);
    const nonce = Buffer.concat([Buffer.from([0, 0]), iv.subarray(2, 12)]);
    const d = crypto.createDecipheriv('chacha20-poly1305', chachaKey, nonce, { authTagLength: 16 });
    d.setAuthTag(wire.subarray(wire.length - 16));
    expect(Buffer.concat([d.update(wire.subarray(2, wire.length - 16)), d.final()]).toString()).toBe('hello');
  });

  it.each(['aes-128-gcm', 'chacha20-poly1305', 'none'] as const)('%s: the reader takes back what the writer wrote, byte by byte', (security) => {
    const aead = () => (security === 'none' ? undefined : new ChunkAead(security, key, iv));
    const padding = security !== 'none';
    const out: Buffer[] = [];
    const writer = new ChunkWriter(aead(), new ShakeMask(iv), padding);
    const payload = crypto.randomBytes(20_000);
    writer.write(payload, out);
    writer.end(out);
    const wire = Buffer.concat(out);
    const reader = new ChunkReader(aead(), new ShakeMask(iv), padding);
    const q = new ByteQueue();
    const got: Buffer[] = [];
    let ended = false;
    for (let i = 0; i < wire.length && !ended; i += 7) {
      q.push(wire.subarray(i, i + 7));
      ended = reader.read(q, (b) => got.push(Buffer.from(b)));
    }
    expect(ended).toBe(true);
    expect(Buffer.concat(got)).toEqual(payload);
  });

  it('a chunk whose tag does not verify fails with UPSTREAM_PROTOCOL and hands nothing on', () => {
    const out: Buffer[] = [];
    new ChunkWriter(new ChunkAead('aes-128-gcm', key, iv), new ShakeMask(iv), false).write(Buffer.from('secret payload'), out);
    const wire = Buffer.concat(out);
    wire[5]! ^= 1;
    const q = new ByteQueue();
    q.push(wire);
    const got: Buffer[] = [];
    expect(() => new ChunkReader(new ChunkAead('aes-128-gcm', key, iv), new ShakeMask(iv), false).read(q, (b) => got.push(b))).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_PROTOCOL' }),
    );
    expect(got).toEqual([]);
  });
});

describe('VMess session', () => {
  it('derives the response key / IV as the first 16 bytes of SHA-256 of the request body key / IV', () => {
    const { header, codec } = startVmessSession(cmdKey, 'aes-128-gcm', { host: '10.0.0.1', port: 80 });
    const command = openRequestHeader(header);
    const bodyIv = command.subarray(1, 17);
    const bodyKey = command.subarray(17, 33);
    const responseKey = crypto.createHash('sha256').update(bodyKey).digest().subarray(0, 16);
    const responseIv = crypto.createHash('sha256').update(bodyIv).digest().subarray(0, 16);
    expect(command[34]).toBe(0x01 | 0x04 | 0x08); // ChunkStream, ChunkMasking, GlobalPadding
    expect(command[35]! & 0x0f).toBe(3);
    expect(command.subarray(38, 45)).toEqual(Buffer.from([0, 80, 1, 10, 0, 0, 1]));

    // A server answer built from those keys: header, one chunk "hi", end of stream.
    const respHeader = sealResponseHeader(responseKey, responseIv, Buffer.from([command[33]!, 0, 0, 0]));
    const body: Buffer[] = [];
    const w = new ChunkWriter(new ChunkAead('aes-128-gcm', responseKey, responseIv), new ShakeMask(responseIv), true);
    w.write(Buffer.from('hi'), body);
    w.end(body);
    const got: Buffer[] = [];
    expect(codec.answered).toBe(false);
    expect(codec.decode(Buffer.concat([respHeader, ...body]), (b) => got.push(b))).toBe(true);
    expect(codec.answered).toBe(true);
    expect(Buffer.concat(got).toString()).toBe('hi');
  });

  it('none: no padding option, security byte 5', () => {
    const { header } = startVmessSession(cmdKey, 'none', { host: '::1', port: 8080 });
    const command = openRequestHeader(header);
    expect(command[34]).toBe(0x01 | 0x04);
    expect(command[35]! & 0x0f).toBe(5);
    expect(command.subarray(38, 41)).toEqual(Buffer.from([0x1f, 0x90, 3]));
    expect(command.subarray(41, 57)).toEqual(Buffer.from('00000000000000000000000000000001', 'hex'));
  });
});
