import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../core/protocol/common/byte-queue.js';
import { agreeingNative, loadNativeAead, NATIVE_AEAD_ADDON, type NativeAeadAddon, type NativeAeadAlgorithm } from '../../../core/protocol/common/native-aead.js';
import { ChunkCipher } from '../../../core/protocol/shadowsocks/chunk-cipher.js';
import { ChunkAead, ChunkReader, ChunkWriter, ShakeMask } from '../../../core/protocol/vmess/chunk.js';
import { kdfInJs } from '../../../core/protocol/vmess/kdf.js';
import { aeadSubkeyInJs } from '../../../core/protocol/shadowsocks/keys.js';

/**
 * native/aead against node:crypto: the same bytes both ways for every algorithm and size, tampering
 * rejected, arguments checked, and the VMess / Shadowsocks chunk classes agreeing across the two paths.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const built = fs.existsSync(NATIVE_AEAD_ADDON);
if (!built) console.warn(`native AEAD tests skipped: ${NATIVE_AEAD_ADDON} missing (run node scripts/build-native.mjs)`);
/** A built addon must load: only a missing build skips. */
const loaded = built ? loadNativeAead(NATIVE_AEAD_ADDON, {}) : undefined;
const addon = loaded?.addon as NativeAeadAddon;

const ALGORITHMS: [NativeAeadAlgorithm, number][] = [
  ['aes-128-gcm', 16],
  ['aes-192-gcm', 24],
  ['aes-256-gcm', 32],
  ['chacha20-poly1305', 32],
];
const TAG = 16;

/** 0..16 KiB: the edges (empty, one byte, around a block, the cap) and random sizes between. */
const SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 1966, 16 * 1024, ...Array.from({ length: 30 }, () => crypto.randomInt(0, 16 * 1024 + 1))];

function nodeSeal(algorithm: NativeAeadAlgorithm, key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const c = crypto.createCipheriv(algorithm as 'chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

function nodeOpen(algorithm: NativeAeadAlgorithm, key: Buffer, nonce: Buffer, sealed: Buffer): Buffer {
  const d = crypto.createDecipheriv(algorithm as 'chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
}

const flipBit = (b: Buffer, bit: number) => {
  b[bit >> 3]! ^= 1 << (bit & 7);
};

describe.skipIf(!built)('native AEAD context', () => {
  it('loads and agrees with node:crypto at load', () => {
    expect(loaded?.status).toEqual({ loaded: true });
    expect(typeof addon.AeadContext).toBe('function');
  });

  it.each(ALGORITHMS)('%s: seals byte for byte as node:crypto does, and each opens what the other sealed, 0..16 KiB', (algorithm, keyBytes) => {
    const key = crypto.randomBytes(keyBytes);
    const ctx = new addon.AeadContext(algorithm, key);
    for (const size of SIZES) {
      const nonce = crypto.randomBytes(12);
      const plain = crypto.randomBytes(size);
      // Ranges inside larger buffers, at odd offsets, so offsets are honoured and nothing outside is touched.
      const src = Buffer.concat([crypto.randomBytes(3), plain, crypto.randomBytes(5)]);
      const dst = Buffer.alloc(7 + size + TAG + 9, 0xa5);
      ctx.seal(nonce, src, 3, 3 + size, dst, 7);
      const sealed = dst.subarray(7, 7 + size + TAG);
      expect(sealed.equals(nodeSeal(algorithm, key, nonce, plain)), `seal of ${size} bytes`).toBe(true);
      expect(dst.subarray(0, 7).every((b) => b === 0xa5) && dst.subarray(7 + size + TAG).every((b) => b === 0xa5)).toBe(true);
      expect(nodeOpen(algorithm, key, nonce, Buffer.from(sealed)).equals(plain), `node:crypto opens ${size} bytes`).toBe(true);

      const theirs = nodeSeal(algorithm, key, nonce, plain);
      const out = Buffer.alloc(size + 4, 0x5a);
      expect(ctx.open(nonce, theirs.subarray(size), theirs, 0, size, out, 2)).toBe(true);
      expect(out.subarray(2, 2 + size).equals(plain), `open of ${size} bytes`).toBe(true);
      expect([out[0], out[1], out[size + 2], out[size + 3]]).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
    }
  });

  it.each(ALGORITHMS)('%s: seals and opens in place', (algorithm, keyBytes) => {
    const key = crypto.randomBytes(keyBytes);
    const ctx = new addon.AeadContext(algorithm, key);
    const nonce = crypto.randomBytes(12);
    const plain = crypto.randomBytes(5000);
    const buf = Buffer.concat([plain, Buffer.alloc(TAG)]);
    ctx.seal(nonce, buf, 0, plain.length, buf, 0);
    expect(buf.equals(nodeSeal(algorithm, key, nonce, plain))).toBe(true);
    const tag = Buffer.from(buf.subarray(plain.length));
    expect(ctx.open(nonce, tag, buf, 0, plain.length, buf, 0)).toBe(true);
    expect(buf.subarray(0, plain.length).equals(plain)).toBe(true);
  });

  it.each(ALGORITHMS)('%s: a flipped bit of the tag, the ciphertext or the nonce is rejected, the output zeroed; the context opens on after it', (algorithm, keyBytes) => {
    const key = crypto.randomBytes(keyBytes);
    const ctx = new addon.AeadContext(algorithm, key);
    for (const part of ['tag', 'ciphertext', 'nonce'] as const) {
      for (let trial = 0; trial < 8; trial++) {
        const size = 1 + crypto.randomInt(0, 4096);
        const nonce = crypto.randomBytes(12);
        const plain = crypto.randomBytes(size);
        const sealed = nodeSeal(algorithm, key, nonce, plain);
        const tag = Buffer.from(sealed.subarray(size));
        const badNonce = Buffer.from(nonce);
        if (part === 'tag') flipBit(tag, crypto.randomInt(0, TAG * 8));
        else if (part === 'ciphertext') flipBit(sealed, crypto.randomInt(0, size * 8));
        else flipBit(badNonce, crypto.randomInt(0, 96));
        const out = Buffer.alloc(size + 2, 0xee);
        expect(ctx.open(badNonce, tag, sealed, 0, size, out, 1), `${part} flipped`).toBe(false);
        expect(out.subarray(1, 1 + size).every((b) => b === 0)).toBe(true);
        expect([out[0], out[size + 1]]).toEqual([0xee, 0xee]);
        // The next genuine chunk on the same context still opens.
        const good = nodeSeal(algorithm, key, nonce, plain);
        expect(ctx.open(nonce, good.subarray(size), good, 0, size, out, 1)).toBe(true);
        expect(out.subarray(1, 1 + size).equals(plain)).toBe(true);
      }
    }
    // An empty chunk is all tag: a wrong one is rejected too.
    const nonce = crypto.randomBytes(12);
    const tag = nodeSeal(algorithm, key, nonce, Buffer.alloc(0));
    const empty = Buffer.alloc(0);
    expect(ctx.open(nonce, tag, empty, 0, 0, empty, 0)).toBe(true);
    flipBit(tag, 0);
    expect(ctx.open(nonce, tag, empty, 0, 0, empty, 0)).toBe(false);
  });

  it('keeps seal and open apart: interleaved calls on one context match separate node:crypto ciphers', () => {
    const key = crypto.randomBytes(16);
    const ctx = new addon.AeadContext('aes-128-gcm', key);
    for (let i = 0; i < 200; i++) {
      const nonce = crypto.randomBytes(12);
      const plain = crypto.randomBytes(crypto.randomInt(0, 3000));
      const sealed = Buffer.alloc(plain.length + TAG);
      ctx.seal(nonce, plain, 0, plain.length, sealed, 0);
      const theirs = nodeSeal('aes-128-gcm', key, nonce, plain);
      expect(sealed.equals(theirs)).toBe(true);
      const out = Buffer.alloc(plain.length);
      expect(ctx.open(nonce, theirs.subarray(plain.length), theirs, 0, plain.length, out, 0)).toBe(true);
      expect(out.equals(plain)).toBe(true);
    }
  });

  it('throws a TypeError naming the argument for a wrong algorithm, key, nonce or tag, and writes nothing', () => {
    const { AeadContext } = addon;
    expect(() => new AeadContext('aes-128-ctr' as NativeAeadAlgorithm, Buffer.alloc(16))).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^algorithm must be/) }));
    expect(() => new AeadContext(16 as unknown as NativeAeadAlgorithm, Buffer.alloc(16))).toThrow(TypeError);
    for (const [algorithm, keyBytes] of ALGORITHMS) {
      for (const wrong of [0, keyBytes - 1, keyBytes + 1]) {
        expect(() => new AeadContext(algorithm, Buffer.alloc(wrong))).toThrow(
          expect.objectContaining({ name: 'TypeError', message: `key must be a Buffer of ${keyBytes} bytes for ${algorithm}, not ${wrong}` }),
        );
      }
    }
    expect(() => new AeadContext('aes-128-gcm', 'sixteen byte key' as unknown as Buffer)).toThrow(expect.objectContaining({ name: 'TypeError', message: 'key must be a Buffer' }));
    expect(() => (AeadContext as unknown as (a: string, k: Buffer) => void)('aes-128-gcm', Buffer.alloc(16))).toThrow(TypeError);

    const ctx = new AeadContext('aes-128-gcm', Buffer.alloc(16));
    const src = crypto.randomBytes(100);
    const dst = Buffer.alloc(200, 0x11);
    const unchanged = () => expect(dst.every((b) => b === 0x11)).toBe(true);
    const typeError = (message: RegExp) => expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) });
    for (const n of [0, 11, 13, 16]) {
      expect(() => ctx.seal(Buffer.alloc(n), src, 0, 100, dst, 0)).toThrow(typeError(/^nonce must be a Buffer of 12 bytes/));
      expect(() => ctx.open(Buffer.alloc(n), Buffer.alloc(16), src, 0, 100, dst, 0)).toThrow(typeError(/^nonce must be a Buffer of 12 bytes/));
    }
    for (const n of [0, 12, 15, 17]) {
      expect(() => ctx.open(Buffer.alloc(12), Buffer.alloc(n), src, 0, 100, dst, 0)).toThrow(typeError(/^tag must be a Buffer of 16 bytes/));
    }
    expect(() => ctx.seal(Buffer.alloc(12), 'text' as unknown as Buffer, 0, 4, dst, 0)).toThrow(typeError(/^src must be a Buffer/));
    expect(() => ctx.seal(Buffer.alloc(12), src, 0, 100, null as unknown as Buffer, 0)).toThrow(typeError(/^dst must be a Buffer/));
    unchanged();
  });

  it('throws a RangeError for ranges outside the buffers, too small a dst, or overlaps, and writes nothing', () => {
    const ctx = new addon.AeadContext('chacha20-poly1305', crypto.randomBytes(32));
    const nonce = Buffer.alloc(12);
    const src = crypto.randomBytes(100);
    const dst = Buffer.alloc(200, 0x11);
    const rangeError = (message: RegExp) => expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(message) });
    expect(() => ctx.seal(nonce, src, 0, 101, dst, 0)).toThrow(rangeError(/^srcEnd must be an integer from 0 to 100/));
    expect(() => ctx.seal(nonce, src, -1, 10, dst, 0)).toThrow(rangeError(/^srcStart/));
    expect(() => ctx.seal(nonce, src, 1.5, 10, dst, 0)).toThrow(rangeError(/^srcStart/));
    expect(() => ctx.seal(nonce, src, Number.NaN, 10, dst, 0)).toThrow(rangeError(/^srcStart/));
    expect(() => ctx.seal(nonce, src, 50, 10, dst, 0)).toThrow(rangeError(/^srcEnd must be at least srcStart/));
    expect(() => ctx.seal(nonce, src, 0, 100, dst, 201)).toThrow(rangeError(/^dstStart/));
    // A seal needs the tag's 16 bytes after the ciphertext; an open needs only the plaintext's.
    expect(() => ctx.seal(nonce, src, 0, 100, dst, 85)).toThrow(rangeError(/^dst has 115 bytes from dstStart, 116 needed/));
    expect(() => ctx.open(nonce, Buffer.alloc(16), src, 0, 100, dst, 101)).toThrow(rangeError(/^dst has 99 bytes from dstStart, 100 needed/));
    expect(dst.every((b) => b === 0x11)).toBe(true);
    // Same bytes is in place; shifted by one is not.
    const buf = crypto.randomBytes(300);
    expect(() => ctx.seal(nonce, buf, 0, 100, buf, 1)).toThrow(rangeError(/overlap/));
    expect(() => ctx.open(nonce, Buffer.alloc(16), buf, 10, 110, buf, 0)).toThrow(rangeError(/overlap/));
    expect(() => ctx.open(nonce, buf.subarray(50, 66), buf, 100, 200, buf, 0)).toThrow(rangeError(/^tag overlaps the dst range/));
    const copy = Buffer.from(buf);
    expect(() => ctx.seal(nonce, buf, 0, 100, buf, 100)).not.toThrow(); // adjacent, not overlapping
    expect(buf.subarray(0, 100).equals(copy.subarray(0, 100))).toBe(true);
    expect(() => (addon.AeadContext.prototype as unknown as { seal: (...a: unknown[]) => void }).seal.call({}, nonce, src, 0, 1, dst, 0)).toThrow(TypeError);
  });

  it('frees dropped contexts: 200,000 of them, made over many turns of the event loop, leave the RSS within bounds', () => {
    // Each holds two EVP contexts (~2 KiB natively); leaked, 200,000 would add 400 MiB or so. Node-API
    // runs finalizers after the turn that collected their objects, so the rounds yield between them.
    const script = `
      const { AeadContext } = require(${JSON.stringify(NATIVE_AEAD_ADDON)});
      const key = Buffer.alloc(32, 7), nonce = Buffer.alloc(12), out = Buffer.alloc(64);
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      const round = async () => {
        for (let i = 0; i < 2000; i++) new AeadContext('aes-256-gcm', key).seal(nonce, out, 0, 16, out, 16);
        global.gc();
        await turn();
      };
      (async () => {
        for (let r = 0; r < 10; r++) await round();
        const before = process.memoryUsage().rss;
        for (let r = 0; r < 100; r++) await round();
        console.log(process.memoryUsage().rss - before);
      })();`;
    const grown = Number(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim());
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('resolves every symbol at load (-z now): where OpenSSL is absent the load fails instead of a later call aborting', () => {
    const cc = spawnSync('cc', ['--version']);
    if (cc.status !== 0) return void console.warn('skipped: no cc');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aead-dlopen-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'probe.c'),
        '#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) { (void)c; void *h = dlopen(v[1], RTLD_LAZY); puts(h ? "loaded" : dlerror()); return 0; }\n',
      );
      execFileSync('cc', ['-o', path.join(dir, 'probe'), path.join(dir, 'probe.c'), '-ldl']);
      // A plain C program exports neither Node-API nor OpenSSL: with lazy binding the load would succeed.
      const out = execFileSync(path.join(dir, 'probe'), [NATIVE_AEAD_ADDON], { encoding: 'utf8' });
      expect(out).toMatch(/undefined symbol: (napi_|EVP_|ERR_|OPENSSL_)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!built)('native openSequence (the VMess chunks of a read in one call)', () => {
  /** `count` chunks sealed by node:crypto with VMess nonces (counter from `first`, big-endian, wrapping), laid
   * out at gaps in one buffer as a read would hold them: [2 bytes][ciphertext][tag][padding]... */
  function sealedRun(algorithm: NativeAeadAlgorithm, key: Buffer, iv: Buffer, first: number, sizes: number[]) {
    const parts: Buffer[] = [];
    const ranges = new Int32Array(sizes.length * 2);
    const plains: Buffer[] = [];
    let at = 0;
    sizes.forEach((size, i) => {
      const nonce = Buffer.from(iv);
      const counter = (first + i) & 0xffff;
      nonce[0] = counter >> 8;
      nonce[1] = counter & 0xff;
      const plain = crypto.randomBytes(size);
      const padding = crypto.randomBytes(i % 5);
      parts.push(Buffer.alloc(2), nodeSeal(algorithm, key, nonce, plain), padding);
      ranges[2 * i] = at + 2;
      ranges[2 * i + 1] = at + 2 + size;
      at += 2 + size + TAG + padding.length;
      plains.push(plain);
    });
    return { src: Buffer.concat(parts), ranges, plain: Buffer.concat(plains) };
  }

  for (const [algorithm, keyLength] of [ALGORITHMS[0]!, ALGORITHMS[3]!]) {
    it(`${algorithm}: opens every chunk of a run with its own nonce, the counter wrapping past 0xffff`, () => {
      const key = crypto.randomBytes(keyLength);
      const iv = crypto.randomBytes(12);
      const sizes = [0, 1, 1966, 15, 16 * 1024, ...Array.from({ length: 40 }, () => crypto.randomInt(0, 4000))];
      const run = sealedRun(algorithm, key, iv, 0xfff0, sizes);
      const dst = Buffer.alloc(run.plain.length + 7, 0xee);
      const nonce = Buffer.from(iv);
      nonce[0] = 0xff;
      nonce[1] = 0xf0;
      const ctx = new addon.AeadContext(algorithm, key);
      expect(ctx.openSequence(nonce, run.src, run.ranges, sizes.length, dst, 7)).toBe(sizes.length);
      expect(dst.subarray(7)).toEqual(run.plain);
      expect(dst.subarray(0, 7)).toEqual(Buffer.alloc(7, 0xee));
      expect(nonce.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xf0])); // the caller's nonce is left as it was
    });
  }

  it('stops at the first chunk that does not verify, keeps the plaintext before it and zeroes its own', () => {
    const key = crypto.randomBytes(16);
    const iv = crypto.randomBytes(12);
    const sizes = [100, 200, 300, 400];
    const run = sealedRun('aes-128-gcm', key, iv, 0, sizes);
    flipBit(run.src, (run.ranges[2 * 2 + 1]! + 3) * 8); // a bit of the third chunk's tag
    const dst = Buffer.alloc(1000, 0xee);
    const nonce = Buffer.from(iv);
    nonce[0] = nonce[1] = 0;
    expect(new addon.AeadContext('aes-128-gcm', key).openSequence(nonce, run.src, run.ranges, 4, dst, 0)).toBe(2);
    expect(dst.subarray(0, 300)).toEqual(run.plain.subarray(0, 300));
    expect(dst.subarray(300, 600)).toEqual(Buffer.alloc(300));
    expect(dst.subarray(600)).toEqual(Buffer.alloc(400, 0xee));
  });

  it('throws naming the argument, before writing anything, for bad ranges, count, dst or an overlap', () => {
    const key = crypto.randomBytes(16);
    const run = sealedRun('aes-128-gcm', key, Buffer.alloc(12), 0, [10, 20]);
    const ctx = new addon.AeadContext('aes-128-gcm', key);
    const dst = Buffer.alloc(30, 0xee);
    const nonce = Buffer.alloc(12);
    const call = (ranges: unknown, count: number, out: Buffer = dst, src: Buffer = run.src) => () =>
      (ctx.openSequence as (...a: unknown[]) => number)(nonce, src, ranges, count, out, 0);
    expect(call(Array.from(run.ranges), 2)).toThrow(/ranges must be an Int32Array/);
    expect(call(new Uint32Array(run.ranges), 2)).toThrow(/ranges must be an Int32Array/);
    expect(call(run.ranges, 3)).toThrow(/count must be an integer from 0 to 2/);
    expect(call(Int32Array.from([2, 12, 14, run.src.length]), 2)).toThrow(/ranges\[2\.\.3\] must lie in src with 16 tag bytes after the end/);
    expect(call(Int32Array.from([5, 2]), 1)).toThrow(/ranges\[0\.\.1\] must lie in src/);
    expect(call(run.ranges, 2, Buffer.alloc(29))).toThrow(/dst has 29 bytes from dstStart, 30 needed/);
    expect(call(run.ranges, 2, run.src.subarray(0, 30))).toThrow(/dst must not overlap src/);
    expect(dst).toEqual(Buffer.alloc(30, 0xee));
    expect(call(run.ranges, 0)()).toBe(0);
  });
});

describe.skipIf(!built)('native hmacChain (the VMess KDF)', () => {
  const ROOT_KEY = Buffer.from('VMess AEAD KDF');

  it('with one key is HMAC-SHA256, for keys shorter and longer than a block', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      const key = crypto.randomBytes(keyLength);
      const message = crypto.randomBytes(crypto.randomInt(0, 300));
      expect(addon.hmacChain([key], message)).toEqual(crypto.createHmac('sha256', key).update(message).digest());
    }
  });

  it('gives the v2fly kdf_test.go vector', () => {
    const paths = ['Demo Path for KDF Value Test', 'Demo Path for KDF Value Test2', 'Demo Path for KDF Value Test3'].map((p) => Buffer.from(p));
    const out = addon.hmacChain([ROOT_KEY, ...paths], Buffer.from('Demo Key for KDF Value Test'));
    expect(out.toString('hex')).toBe('53e9d7e1bd7bd25022b71ead07d8a596efc8a845c7888652fd684b4903dc8892');
  });

  it('agrees with the node:crypto KDF over 300 random paths of 0 to 7 elements, some longer than a block', () => {
    for (let i = 0; i < 300; i++) {
      const path = Array.from({ length: crypto.randomInt(0, 8) }, () => crypto.randomBytes(crypto.randomInt(0, 150)));
      const key = crypto.randomBytes(crypto.randomInt(0, 100));
      expect(addon.hmacChain([ROOT_KEY, ...path], key)).toEqual(kdfInJs(key, path));
    }
  });

  it('throws a TypeError naming what is wrong: not an array, 0 or 9 keys, a key or the message not a Buffer', () => {
    const m = Buffer.alloc(4);
    const call = (keys: unknown, message: unknown = m) => () => (addon.hmacChain as (k: unknown, m: unknown) => Buffer)(keys, message);
    expect(call('key')).toThrow(/keys must be an array of 1 to 8 Buffers/);
    expect(call([])).toThrow(/keys must be an array of 1 to 8 Buffers/);
    expect(call(Array.from({ length: 9 }, () => m))).toThrow(/keys must be an array of 1 to 8 Buffers/);
    expect(call([m, m, 'x'])).toThrow(/keys\[2\] must be a Buffer/);
    expect(call([m], 'message')).toThrow(/message must be a Buffer/);
  });
});

describe.skipIf(!built)('native hkdfSha1 (the Shadowsocks subkeys)', () => {
  it('gives RFC 5869 test case 4 (HKDF-SHA1, 42 bytes)', () => {
    const ikm = Buffer.alloc(11, 0x0b);
    const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    expect(addon.hkdfSha1(ikm, salt, info, 42).toString('hex')).toBe(
      '085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896',
    );
  });

  it('agrees with crypto.hkdfSync: lengths 1 to 5100, empty salt and info, keys longer than a block', () => {
    const cases: [number, number, number, number][] = [
      [16, 16, 9, 16],
      [32, 32, 9, 32],
      [16, 0, 0, 1],
      [100, 80, 30, 20],
      [20, 20, 20, 21],
      [5, 200, 3, 5100],
    ];
    for (const [ikmLength, saltLength, infoLength, length] of cases) {
      const [ikm, salt, info] = [crypto.randomBytes(ikmLength), crypto.randomBytes(saltLength), crypto.randomBytes(infoLength)];
      expect(addon.hkdfSha1(ikm, salt, info, length)).toEqual(Buffer.from(crypto.hkdfSync('sha1', ikm, salt, info, length)));
    }
    for (let i = 0; i < 200; i++) {
      const key = crypto.randomBytes(i % 2 ? 16 : 32);
      const salt = crypto.randomBytes(key.length);
      expect(addon.hkdfSha1(key, salt, Buffer.from('ss-subkey'), key.length)).toEqual(aeadSubkeyInJs(key, salt));
    }
  });

  it('throws naming the argument: a non-Buffer ikm, salt or info, a length of 0 or over 5100', () => {
    const b = Buffer.alloc(4);
    const call = (...args: unknown[]) => () => (addon.hkdfSha1 as (...a: unknown[]) => Buffer)(...args);
    expect(call('ikm', b, b, 16)).toThrow(/ikm must be a Buffer/);
    expect(call(b, 1, b, 16)).toThrow(/salt must be a Buffer/);
    expect(call(b, b, null, 16)).toThrow(/info must be a Buffer/);
    expect(call(b, b, b, 0)).toThrow(/length must be an integer from 1 to 5100/);
    expect(call(b, b, b, 5101)).toThrow(/length must be an integer from 1 to 5100/);
    expect(call(b, b, b, 1.5)).toThrow(RangeError);
    expect(call(b, b, b)).toThrow(/hkdfSha1\(ikm, salt, info, length\)/);
  });
});

describe('the node:crypto fallback', () => {
  it("an addon function is used only once it agrees with the node:crypto code, checked once, else never", () => {
    const key = Buffer.alloc(16, 3);
    const salt = Buffer.alloc(16, 4);
    const right = (ikm: Buffer, s: Buffer, info: Buffer, length: number) => Buffer.from(crypto.hkdfSync('sha1', ikm, s, info, length));
    const wrong = (_ikm: Buffer, _s: Buffer, _info: Buffer, length: number) => Buffer.alloc(length);
    let checks = 0;
    const agrees = (f: NativeAeadAddon['hkdfSha1']) => {
      checks++;
      return f(key, salt, Buffer.from('ss-subkey'), 16).equals(aeadSubkeyInJs(key, salt));
    };
    const good = agreeingNative('hkdfSha1', agrees, () => ({ hkdfSha1: right }));
    expect(good()).toBe(right);
    expect(good()).toBe(right);
    expect(checks).toBe(1);
    expect(agreeingNative('hkdfSha1', agrees, () => ({ hkdfSha1: wrong }))()).toBeNull();
    expect(agreeingNative('hkdfSha1', agrees, () => ({}))()).toBeNull();
    expect(agreeingNative('hkdfSha1', agrees, () => undefined)()).toBeNull();
  });

  it('SWITCHYARD_NATIVE_AEAD=0 or a missing addon leaves the chunk ciphers on node:crypto', () => {
    expect(loadNativeAead(NATIVE_AEAD_ADDON, { SWITCHYARD_NATIVE_AEAD: '0' })).toEqual({ status: { loaded: false, reason: 'SWITCHYARD_NATIVE_AEAD=0' } });
    const missing = loadNativeAead(path.join(os.tmpdir(), 'no-such-aead.node'), {});
    expect(missing.addon).toBeUndefined();
    expect(missing.status).toEqual({ loaded: false, reason: expect.stringContaining('no-such-aead.node') });
  });

  it('the switch is read from the environment by the classes themselves (fresh processes, with and without it)', () => {
    const probe = `
      const { ChunkCipher } = await import('./core/protocol/shadowsocks/chunk-cipher.ts');
      const { ChunkAead } = await import('./core/protocol/vmess/chunk.ts');
      const { nativeAeadStatus } = await import('./core/protocol/common/native-aead.ts');
      console.log(JSON.stringify({ ss: new ChunkCipher('aes-128-gcm', Buffer.alloc(16)).isNative, vmess: new ChunkAead('aes-128-gcm', Buffer.alloc(16), Buffer.alloc(16)).isNative, status: nativeAeadStatus() }));`;
    const run = (value: string | undefined) => {
      const env = { ...process.env };
      if (value === undefined) delete env.SWITCHYARD_NATIVE_AEAD;
      else env.SWITCHYARD_NATIVE_AEAD = value;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      return JSON.parse(out.trim().split('\n').pop()!) as { ss: boolean; vmess: boolean; status: { loaded: boolean } };
    };
    expect(run('0')).toEqual({ ss: false, vmess: false, status: { loaded: false, reason: 'SWITCHYARD_NATIVE_AEAD=0' } });
    if (built) expect(run(undefined)).toEqual({ ss: true, vmess: true, status: { loaded: true } });
  }, 60_000);
});

/** Both paths of the chunk classes, chosen explicitly: the addon, or null for node:crypto. */
const PATHS: [string, NativeAeadAddon | null, NativeAeadAddon | null][] = built
  ? [
      ['native → node:crypto', addon, null],
      ['node:crypto → native', null, addon],
      ['native → native', addon, addon],
    ]
  : [['node:crypto → node:crypto', null, null]];

describe('VMess chunks across the two paths', () => {
  it.each(PATHS)('%s: aes-128-gcm and chacha20-poly1305 with padding, read in uneven pieces', (_name, writerAddon, readerAddon) => {
    for (const security of ['aes-128-gcm', 'chacha20-poly1305'] as const) {
      const key = crypto.randomBytes(16);
      const iv = crypto.randomBytes(16);
      const writer = new ChunkWriter(new ChunkAead(security, key, iv, writerAddon), new ShakeMask(iv), true);
      const payload = crypto.randomBytes(100_000);
      const wire: Buffer[] = [];
      for (let off = 0; off < payload.length; ) {
        const n = crypto.randomInt(1, 40_000);
        writer.write(payload.subarray(off, off + n), wire);
        off += n;
      }
      writer.end(wire);
      const all = Buffer.concat(wire);
      const aead = new ChunkAead(security, key, iv, readerAddon);
      expect(aead.isNative).toBe(readerAddon !== null);
      const reader = new ChunkReader(aead, new ShakeMask(iv), true);
      const q = new ByteQueue();
      const got: Buffer[] = [];
      let ended = false;
      for (let off = 0; off < all.length && !ended; ) {
        const n = crypto.randomInt(1, 9000);
        // A read buffer of our own, wiped after the call as a reused read buffer would be overwritten.
        const read = Buffer.from(all.subarray(off, off + n));
        off += n;
        q.push(read);
        ended = reader.read(q, (b) => got.push(b));
        q.detach();
        read.fill(0);
      }
      expect(ended).toBe(true);
      expect(Buffer.concat(got).equals(payload)).toBe(true);
    }
  });
});

describe('Shadowsocks chunks across the two paths', () => {
  it.each(PATHS)('%s: every algorithm, plaintext and ciphertext in several pieces, a bad tag refused', (_name, sealAddon, openAddon) => {
    for (const [algorithm, keyBytes] of ALGORITHMS) {
      const key = crypto.randomBytes(keyBytes);
      const sealer = new ChunkCipher(algorithm, key, sealAddon);
      const opener = new ChunkCipher(algorithm, key, openAddon);
      expect(opener.isNative).toBe(openAddon !== null);
      for (let i = 0; i < 20; i++) {
        const plain = crypto.randomBytes(crypto.randomInt(0, 0x3fff + 1));
        const cuts = [0, crypto.randomInt(0, plain.length + 1), plain.length].sort((a, b) => a - b);
        const sealed: Buffer[] = [];
        sealer.seal(i % 2 ? [plain] : [plain.subarray(0, cuts[1]), plain.subarray(cuts[1])], sealed);
        const wire = Buffer.concat(sealed);
        const received = Buffer.from(wire);
        const body = wire.subarray(0, plain.length);
        const tag = wire.subarray(plain.length);
        const pieces = i % 3 === 0 || body.length === 0 ? (body.length ? [body] : []) : [body.subarray(0, 1), body.subarray(1)];
        if (i === 7) {
          const bad = Buffer.from(tag);
          flipBit(bad, 5);
          expect(opener.open(pieces, bad)).toBeUndefined();
        }
        const opened = opener.open(pieces, tag);
        expect(opened && Buffer.concat(opened).equals(plain), `chunk ${i} of ${plain.length} bytes`).toBe(true);
        // The received bytes are left as they were: plaintext goes to buffers of its own.
        expect(wire.equals(received)).toBe(true);
      }
    }
  });

  it.each(PATHS)('%s: openInto writes each chunk after the last in one buffer, pieces or not; a bad tag writes nothing past it', (_name, sealAddon, openAddon) => {
    for (const [algorithm, keyBytes] of ALGORITHMS) {
      const key = crypto.randomBytes(keyBytes);
      const sealer = new ChunkCipher(algorithm, key, sealAddon);
      const opener = new ChunkCipher(algorithm, key, openAddon);
      const plains = Array.from({ length: 12 }, () => crypto.randomBytes(crypto.randomInt(1, 0x3fff + 1)));
      const dst = Buffer.alloc(plains.reduce((n, p) => n + p.length, 0) + 8, 0xee);
      let at = 0;
      plains.forEach((plain, i) => {
        const sealed: Buffer[] = [];
        sealer.seal([plain], sealed);
        const wire = Buffer.concat(sealed);
        const received = Buffer.from(wire);
        const body = wire.subarray(0, plain.length);
        const tag = wire.subarray(plain.length);
        const cut = crypto.randomInt(0, body.length + 1);
        const pieces = i % 2 ? [body] : [body.subarray(0, cut), body.subarray(cut)];
        if (i === 5) {
          const bad = Buffer.from(tag);
          flipBit(bad, 9);
          expect(opener.openInto(pieces, bad, dst, at)).toBe(false);
        }
        expect(opener.openInto(pieces, tag, dst, at), `chunk ${i}`).toBe(true);
        expect(dst.subarray(at, at + plain.length).equals(plain), `chunk ${i} of ${plain.length} bytes`).toBe(true);
        expect(wire.equals(received)).toBe(true); // the received bytes are left as they were
        at += plain.length;
      });
      expect(dst.subarray(at).equals(Buffer.alloc(8, 0xee))).toBe(true);
    }
  });
});
