import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../core/protocol/common/byte-queue.js';
import { AEAD_MAX_PAYLOAD, FrameError, RequestEncoder, ResponseDecoder, type FramingOptions } from '../../../../core/protocol/shadowsocks/framing.js';
import { aeadSubkey, blake3SessionSubkey, evpBytesToKey } from '../../../../core/protocol/shadowsocks/keys.js';
import { findMethod } from '../../../../core/protocol/shadowsocks/methods.js';

const range = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));
const method = (name: string) => findMethod(name)!;
/** randomBytes stand-in handing out fixed buffers in order, so encoder output is reproducible. */
const fixedRandom = (...bufs: Buffer[]) => (n: number) => {
  const b = bufs.shift();
  if (!b || b.length !== n) throw new Error(`test random: asked for ${n} bytes, had ${b?.length}`);
  return b;
};
const T0 = 1_700_000_000;
const PSK16 = range(0, 16);
const example = { host: 'example.com', port: 443 };

/**
 * Known answers computed outside this code base with python `cryptography` (AESGCM / ChaCha20Poly1305, HKDF
 * with SHA1) and the b3sum CLI for BLAKE3 derive_key; nonce = little-endian counter from 0.
 */
const KAT = {
  // password "test-password", salt 00..0f; chunks: [len(addr)] [03 0b "example.com" 01bb] [len 5] ["hello"]
  aes128:
    '000102030405060708090a0b0c0d0e0fe8cf91b7600b59aca3d42a9dd779b31b3788edd8a78e85106507fc6a814463103180e313fd81d22c3beca5b09cefb9807c7cba24bd7e3a76692e3b1902e634504fab8c3bbca634a3fbd232592da7d533af90cf93d8ae6f86',
  // chacha20-ietf-poly1305, same password, salt 00..1f
  chacha:
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f7a108ea5800d5483ea489ccd7cdb3f507c89f4d230873748dd3c17a7eeb5aa4376fbdd98eddf8aab5667997d9f49f0fc3c722cf5d87d71a2a1a13b82d9fa0910ffacda364446f791f3ecb784966ff1c5b390d471a0a12f7c',
  // 2022-blake3-aes-128-gcm, PSK 00..0f, salt 64..73, time 1700000000, padding 10 × 0xab, then "hello"
  req2022:
    '6465666768696a6b6c6d6e6f70717273584a7850024bcb32acee2e540e403a0e776154f9fa9977ef283e9199c73c04ff2919316f8ad27551de2b541fc09029ab2aaf37c6288a40ab19254aa50ed9ee85aa3477665499aa749f2bc089f69251c52bd647a9625ce940f338598c69fe6379013d6facd84bb9275f89fc6e63',
  // the server's answer to it: salt c8..d7, header echoing salt 64..73, payload "world", then a chunk "!"
  resp2022:
    'c8c9cacbcccdcecfd0d1d2d3d4d5d6d782b40efbcbaf5fa2a05470cf41770089b2629453ec822387e0482ee50012ce1aaeca136e2ac678369251fca22242fda3325d8fef691e1c316f1ae80c9befb85e87ca02baea66f8bcaf03e3a5d14016acac3957e0513a0f8979715cf7b6fdbcda9457ee',
};

const aeadOpts = (name: string, random?: FramingOptions['randomBytes']): FramingOptions => ({
  method: method(name),
  key: evpBytesToKey('test-password', method(name).keySize),
  randomBytes: random,
});
const v2022Opts = (random?: FramingOptions['randomBytes']): FramingOptions => ({
  method: method('2022-blake3-aes-128-gcm'),
  key: PSK16,
  now: () => T0 * 1000,
  randomBytes: random,
});

/** Runs `wire` through a decoder in the given pieces; returns the payload and the decoder. */
function decodeAll(opts: FramingOptions, pieces: Buffer[], requestSalt?: Buffer): { payload: Buffer; decoder: ResponseDecoder } {
  const decoder = new ResponseDecoder(opts, requestSalt);
  const queue = new ByteQueue();
  const out: Buffer[] = [];
  for (const p of pieces) {
    queue.push(p);
    decoder.decode(queue, (chunk) => {
      out.push(...chunk);
      return true;
    });
  }
  return { payload: Buffer.concat(out), decoder };
}

/** A plain, separate AEAD sealer (nonce counter from 0) to build streams the encoder would never make. */
function sealer(algorithm: string, key: Buffer) {
  let n = 0n;
  return (plain: Buffer) => {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64LE(n++);
    const c = crypto.createCipheriv(algorithm as crypto.CipherGCMTypes, key, nonce, { authTagLength: 16 });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  };
}

/** Splits an encoder's request stream (SIP004) into chunk payload lengths, decrypting with a separate opener. */
function chunkLengths(wire: Buffer, name: string): { lengths: number[]; payload: Buffer } {
  const m = method(name);
  const key = aeadSubkey(evpBytesToKey('test-password', m.keySize), wire.subarray(0, m.saltSize));
  let n = 0n;
  const open = (sealed: Buffer) => {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64LE(n++);
    const d = crypto.createDecipheriv(m.algorithm as crypto.CipherGCMTypes, key, nonce, { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  };
  const lengths: number[] = [];
  const payload: Buffer[] = [];
  let off = m.saltSize;
  while (off < wire.length) {
    const len = open(wire.subarray(off, off + 18)).readUInt16BE(0);
    off += 18;
    payload.push(open(wire.subarray(off, off + len + 16)));
    off += len + 16;
    lengths.push(len);
  }
  return { lengths, payload: Buffer.concat(payload) };
}

describe('request encoder against known answers', () => {
  it('SIP004 aes-128-gcm: salt, address chunk, payload chunk', () => {
    const enc = new RequestEncoder(aeadOpts('aes-128-gcm', fixedRandom(range(0, 16))));
    const out = enc.header(example);
    enc.encode([Buffer.from('hello')], out);
    expect(Buffer.concat(out).toString('hex')).toBe(KAT.aes128);
  });

  it('SIP004 chacha20-ietf-poly1305', () => {
    const enc = new RequestEncoder(aeadOpts('chacha20-ietf-poly1305', fixedRandom(range(0, 32))));
    const out = enc.header(example);
    enc.encode([Buffer.from('hello')], out);
    expect(Buffer.concat(out).toString('hex')).toBe(KAT.chacha);
  });

  it('SIP022: salt, fixed header, variable header with padding, payload chunk', () => {
    // padding length = 1 + (u16 from random % 900): 0x0009 → 10 bytes of padding.
    const enc = new RequestEncoder(v2022Opts(fixedRandom(range(100, 16), Buffer.from([0, 9]), Buffer.alloc(10, 0xab))));
    const out = enc.header(example);
    enc.encode([Buffer.from('hello')], out);
    expect(Buffer.concat(out).toString('hex')).toBe(KAT.req2022);
  });

  it('SIP022 header goes out with 1-900 bytes of padding', () => {
    const sizes = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const enc = new RequestEncoder(v2022Opts());
      const len = Buffer.concat(enc.header(example)).length;
      // salt 16 + fixed 11+16 + address 15 + padlen 2 + tag 16
      const padding = len - (16 + 27 + 15 + 2 + 16);
      expect(padding).toBeGreaterThanOrEqual(1);
      expect(padding).toBeLessThanOrEqual(900);
      sizes.add(padding);
    }
    expect(sizes.size).toBeGreaterThan(50);
  });
});

describe('request encoder begun (header with the first payload)', () => {
  const address = Buffer.concat([Buffer.from([3, 11]), Buffer.from('example.com'), Buffer.from([0x01, 0xbb])]);

  it.each(['aes-128-gcm', 'chacha20-ietf-poly1305'])('SIP004 %s: salt, then one chunk holding the address and the first payload', (name) => {
    const enc = new RequestEncoder(aeadOpts(name));
    enc.begin(example);
    const out: Buffer[] = [];
    enc.encode([Buffer.from('hel'), Buffer.from('lo')], out);
    enc.encode([Buffer.from('more')], out);
    const { lengths, payload } = chunkLengths(Buffer.concat(out), name);
    expect(lengths).toEqual([address.length + 5, 4]);
    expect(payload).toEqual(Buffer.concat([address, Buffer.from('hellomore')]));
  });

  it('SIP004: an encode of nothing sends salt and the address chunk alone, byte for byte what header() sends', () => {
    const enc = new RequestEncoder(aeadOpts('aes-128-gcm', fixedRandom(range(0, 16))));
    enc.begin(example);
    const out: Buffer[] = [];
    enc.encode([], out);
    enc.encode([Buffer.from('hello')], out);
    expect(Buffer.concat(out).toString('hex')).toBe(KAT.aes128);
  });

  it('SIP004: a first payload filling a chunk with the address spills into the next chunk at 0x3FFF', () => {
    const enc = new RequestEncoder(aeadOpts('aes-128-gcm'));
    enc.begin(example);
    const out: Buffer[] = [];
    const big = crypto.randomBytes(AEAD_MAX_PAYLOAD);
    enc.encode([big], out);
    const { lengths, payload } = chunkLengths(Buffer.concat(out), 'aes-128-gcm');
    expect(lengths).toEqual([AEAD_MAX_PAYLOAD, address.length]);
    expect(payload).toEqual(Buffer.concat([address, big]));
  });

  it('SIP022: the header chunks go in front of the first payload unchanged (the known answer)', () => {
    const enc = new RequestEncoder(v2022Opts(fixedRandom(range(100, 16), Buffer.from([0, 9]), Buffer.alloc(10, 0xab))));
    enc.begin(example);
    const out: Buffer[] = [];
    enc.encode([Buffer.from('hello')], out);
    expect(Buffer.concat(out).toString('hex')).toBe(KAT.req2022);
  });

  it('a target that cannot be addressed fails in begin(), before anything is encoded', () => {
    const enc = new RequestEncoder(aeadOpts('aes-128-gcm'));
    expect(() => enc.begin({ host: 'x'.repeat(256), port: 80 })).toThrow(expect.objectContaining({ code: 'HOST_UNREACHABLE' }));
  });
});

describe('request encoder chunk boundaries', () => {
  const cases: [string, number[], number[]][] = [
    ['1 byte', [1], [1]],
    ['exactly 0x3FFF', [0x3fff], [0x3fff]],
    ['0x4000 splits into 0x3FFF + 1', [0x4000], [0x3fff, 1]],
    ['three writes batched into one chunk', [100, 200, 300], [600]],
    ['writes spanning chunks', [0x3000, 0x3000, 0x3000], [0x3fff, 0x3fff, 0x1002]],
  ];
  for (const [label, writes, expected] of cases) {
    it(`SIP004: ${label}`, () => {
      const enc = new RequestEncoder(aeadOpts('aes-256-gcm'));
      const pieces = writes.map((n) => crypto.randomBytes(n));
      const out = [enc.salt];
      enc.encode(pieces, out);
      const { lengths, payload } = chunkLengths(Buffer.concat(out), 'aes-256-gcm');
      expect(lengths).toEqual(expected);
      expect(payload.equals(Buffer.concat(pieces))).toBe(true);
    });
  }

  it('SIP022 allows 0xFFFF per chunk', () => {
    const enc = new RequestEncoder(v2022Opts());
    const out: Buffer[] = [];
    enc.encode([crypto.randomBytes(0x10000)], out);
    // length chunk, payload chunk, length chunk, payload chunk
    expect(out.map((b) => b.length)).toEqual([2, 16, 0xffff, 16, 2, 16, 1, 16]);
  });
});

describe('response decoder', () => {
  it('decodes a SIP004 stream (the known-answer request read back)', () => {
    const { payload } = decodeAll(aeadOpts('aes-128-gcm'), [Buffer.from(KAT.aes128, 'hex')]);
    expect(payload.toString('latin1')).toBe('\x03\x0bexample.com\x01\xbbhello');
  });

  it('decodes the SIP022 known-answer response and checks the salt echo', () => {
    const { payload, decoder } = decodeAll(v2022Opts(), [Buffer.from(KAT.resp2022, 'hex')], range(100, 16));
    expect(payload.toString()).toBe('world!');
    expect(decoder.authenticated).toBe(true);
  });

  it('gives the same result for every split point and for one byte at a time', () => {
    const wires: [FramingOptions, Buffer, Buffer | undefined, string][] = [
      [aeadOpts('chacha20-ietf-poly1305'), Buffer.from(KAT.chacha, 'hex'), undefined, '\x03\x0bexample.com\x01\xbbhello'],
      [v2022Opts(), Buffer.from(KAT.resp2022, 'hex'), range(100, 16), 'world!'],
    ];
    for (const [opts, wire, salt, text] of wires) {
      for (let cut = 0; cut <= wire.length; cut++) {
        const { payload, decoder } = decodeAll(opts, [wire.subarray(0, cut), wire.subarray(cut)], salt);
        expect(payload.toString('latin1'), `cut at ${cut}`).toBe(text);
        expect(decoder.atChunkBoundary(new ByteQueue())).toBe(true);
      }
      const bytes = [...wire].map((b) => Buffer.from([b]));
      expect(decodeAll(opts, bytes, salt).payload.toString('latin1')).toBe(text);
    }
  });

  it('round-trips 0x3FFF, 0x4000 and 1-byte payloads through encoder and decoder', () => {
    for (const size of [1, 0x3fff, 0x4000, 3 * 0x3fff + 7]) {
      const opts = aeadOpts('aes-128-gcm');
      const enc = new RequestEncoder(opts);
      const data = crypto.randomBytes(size);
      const out = [enc.salt];
      enc.encode([data], out);
      expect(decodeAll(opts, out).payload.equals(data), `size ${size}`).toBe(true);
    }
  });

  it('reports a partial chunk as not at a boundary', () => {
    const wire = Buffer.from(KAT.aes128, 'hex');
    const decoder = new ResponseDecoder(aeadOpts('aes-128-gcm'));
    const queue = new ByteQueue();
    queue.push(wire.subarray(0, wire.length - 3));
    decoder.decode(queue, () => true);
    expect(decoder.atChunkBoundary(queue)).toBe(false);
  });

  it('stops when the reader is full and resumes where it left off', () => {
    const opts = aeadOpts('aes-128-gcm');
    const enc = new RequestEncoder(opts);
    const out = [enc.salt];
    for (const s of ['a', 'b', 'c']) enc.encode([Buffer.from(s)], out);
    const queue = new ByteQueue();
    queue.push(Buffer.concat(out));
    const decoder = new ResponseDecoder(opts);
    const seen: string[] = [];
    expect(decoder.decode(queue, (p) => (seen.push(Buffer.concat(p).toString()), false))).toBe(false);
    expect(seen).toEqual(['a']);
    expect(decoder.decode(queue, (p) => (seen.push(Buffer.concat(p).toString()), true))).toBe(true);
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('response decoder failures', () => {
  const reasonOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      if (err instanceof FrameError) return err.reason;
      throw err;
    }
    return undefined;
  };

  it('a flipped bit in the first chunk fails authentication before anything authenticated', () => {
    const wire = Buffer.from(KAT.aes128, 'hex');
    wire[20]! ^= 1;
    const decoder = new ResponseDecoder(aeadOpts('aes-128-gcm'));
    const queue = new ByteQueue();
    queue.push(wire);
    expect(reasonOf(() => decoder.decode(queue, () => true))).toBe('auth');
    expect(decoder.authenticated).toBe(false);
  });

  it('the wrong password fails authentication on the first chunk', () => {
    const decoder = new ResponseDecoder({ ...aeadOpts('aes-128-gcm'), key: evpBytesToKey('other', 16) });
    const queue = new ByteQueue();
    queue.push(Buffer.from(KAT.aes128, 'hex'));
    expect(reasonOf(() => decoder.decode(queue, () => true))).toBe('auth');
  });

  it('a flipped bit in a later payload chunk fails after the stream had authenticated', () => {
    const wire = Buffer.from(KAT.aes128, 'hex');
    wire[wire.length - 20]! ^= 1;
    const decoder = new ResponseDecoder(aeadOpts('aes-128-gcm'));
    const queue = new ByteQueue();
    queue.push(wire);
    const seen: Buffer[] = [];
    expect(reasonOf(() => decoder.decode(queue, (p) => (seen.push(...p), true)))).toBe('auth');
    expect(decoder.authenticated).toBe(true);
    expect(Buffer.concat(seen).toString('latin1')).toBe('\x03\x0bexample.com\x01\xbb');
  });

  it('refuses a SIP004 length above 0x3FFF', () => {
    const salt = range(0, 16);
    const seal = sealer('aes-128-gcm', aeadSubkey(evpBytesToKey('test-password', 16), salt));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(AEAD_MAX_PAYLOAD + 1);
    const queue = new ByteQueue();
    queue.push(Buffer.concat([salt, seal(len)]));
    expect(reasonOf(() => new ResponseDecoder(aeadOpts('aes-128-gcm')).decode(queue, () => true))).toBe('length');
  });

  function response2022(edit: (header: Buffer) => void): ByteQueue {
    const salt = range(200, 16);
    const seal = sealer('aes-128-gcm', blake3SessionSubkey(PSK16, salt));
    const header = Buffer.alloc(11 + 16);
    header[0] = 1;
    header.writeBigUInt64BE(BigInt(T0), 1);
    range(100, 16).copy(header, 9);
    header.writeUInt16BE(2, 25);
    edit(header);
    const queue = new ByteQueue();
    queue.push(Buffer.concat([salt, seal(header), seal(Buffer.from('ok'))]));
    return queue;
  }

  it('SIP022: accepts a well-formed response header, refuses a wrong type, stale time or wrong salt echo', () => {
    const decode = (q: ByteQueue) => () => new ResponseDecoder(v2022Opts(), range(100, 16)).decode(q, () => true);
    expect(reasonOf(decode(response2022(() => {})))).toBeUndefined();
    expect(reasonOf(decode(response2022((h) => (h[0] = 0))))).toBe('header-type');
    expect(reasonOf(decode(response2022((h) => h.writeBigUInt64BE(BigInt(T0 - 31), 1))))).toBe('timestamp');
    expect(reasonOf(decode(response2022((h) => h.writeBigUInt64BE(BigInt(T0 + 31), 1))))).toBe('timestamp');
    expect(reasonOf(decode(response2022((h) => h.writeBigUInt64BE(BigInt(T0 - 30), 1))))).toBeUndefined();
    expect(reasonOf(decode(response2022((h) => (h[9]! ^= 1))))).toBe('salt-echo');
  });
});
