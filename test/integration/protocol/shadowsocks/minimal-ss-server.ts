/**
 * TEST-ONLY minimal Shadowsocks server (SIP004 AEAD and SIP022 2022), written from the specs and kept
 * deliberately naive (Buffer.concat everywhere) and separate from core/protocol/shadowsocks, so that tests
 * check our client against a second implementation. No real SIP022 server is installed on this machine
 * (shadowsocks-libev 3.3.5 and v2ray 4.34 do not speak 2022), so this is what the 2022 tests run against.
 *
 * `misbehave` makes it answer the way broken or hostile servers do.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { blake3 } from '@noble/hashes/blake3.js';

export type Misbehaviour =
  | 'none'
  | 'garbage' // answers random bytes as soon as the request header arrived
  | 'close-silently' // closes right after reading the request header
  | 'truncate' // relays one response chunk, then half a chunk, then closes
  | 'wrong-salt-echo' // 2022: echoes a different request salt
  | 'old-timestamp' // 2022: response header 120 s in the past
  | 'wrong-type'; // 2022: response header type 0

export interface MinimalServerOptions {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-ietf-poly1305' | '2022-blake3-aes-128-gcm' | '2022-blake3-aes-256-gcm';
  /** AEAD: the password. 2022: base64 PSK. */
  password: string;
  misbehave?: Misbehaviour;
}

export interface SeenRequest {
  host: string;
  port: number;
  /** 2022 only. */
  paddingLength?: number;
  timestamp?: number;
}

export interface MinimalServer {
  port: number;
  seen: SeenRequest[];
  /** Errors the server hit while decoding (authentication failures...). */
  errors: string[];
  close(): Promise<void>;
}

const TAG = 16;

export async function startMinimalSsServer(opts: MinimalServerOptions): Promise<MinimalServer> {
  const is2022 = opts.cipher.startsWith('2022-');
  const algorithm = opts.cipher.includes('chacha') ? 'chacha20-poly1305' : opts.cipher.includes('128') ? 'aes-128-gcm' : 'aes-256-gcm';
  const keySize = algorithm === 'aes-128-gcm' ? 16 : 32;
  const key = is2022 ? Buffer.from(opts.password, 'base64') : evp(opts.password, keySize);
  const misbehave = opts.misbehave ?? 'none';
  const seen: SeenRequest[] = [];
  const errors: string[] = [];
  const sockets = new Set<net.Socket>();

  const subkey = (salt: Buffer) =>
    is2022
      ? Buffer.from(blake3(Buffer.concat([key, salt]), { context: new TextEncoder().encode('shadowsocks 2022 session subkey'), dkLen: keySize }))
      : Buffer.from(crypto.hkdfSync('sha1', key, salt, 'ss-subkey', keySize));

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let buf = Buffer.alloc(0);
    let opener: Aead | undefined;
    let state: 'salt' | 'fixed' | 'var' | 'length' | 'payload' | 'done' = 'salt';
    let need = keySize;
    let requestSalt = Buffer.alloc(0);
    let upstream: net.Socket | undefined;
    const pending: Buffer[] = [];
    let clientEnded = false;

    const fail = (why: string) => {
      errors.push(why);
      state = 'done';
      client.destroy();
      upstream?.destroy();
    };

    client.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (state !== 'done' && buf.length >= need) {
        const part = buf.subarray(0, need);
        buf = buf.subarray(need);
        if (state === 'salt') {
          requestSalt = Buffer.from(part);
          opener = new Aead(algorithm, subkey(requestSalt));
          state = is2022 ? 'fixed' : 'length';
          need = is2022 ? 11 + TAG : 2 + TAG;
          continue;
        }
        const plain = opener!.open(part);
        if (!plain) return fail('authentication failed');
        if (state === 'fixed') {
          if (plain[0] !== 0) return fail(`request type ${plain[0]}`);
          const ts = Number(plain.readBigUInt64BE(1));
          if (Math.abs(ts - Date.now() / 1000) > 30) return fail('request timestamp skew');
          seen.push({ host: '', port: 0, timestamp: ts });
          state = 'var';
          need = plain.readUInt16BE(9) + TAG;
        } else if (state === 'var') {
          const addr = parseAddress(plain);
          const padLen = plain.readUInt16BE(addr.end);
          const initial = plain.subarray(addr.end + 2 + padLen);
          if (padLen === 0 && initial.length === 0) return fail('no padding and no payload');
          Object.assign(seen[seen.length - 1]!, { host: addr.host, port: addr.port, paddingLength: padLen });
          onTarget(addr.host, addr.port);
          if (initial.length) toUpstream(initial);
          state = 'length';
          need = 2 + TAG;
        } else if (state === 'length') {
          state = 'payload';
          need = plain.readUInt16BE(0) + TAG;
        } else {
          if (!upstream) {
            const addr = parseAddress(plain);
            seen.push({ host: addr.host, port: addr.port });
            onTarget(addr.host, addr.port);
            if (addr.end < plain.length) toUpstream(plain.subarray(addr.end));
          } else toUpstream(plain);
          state = 'length';
          need = 2 + TAG;
        }
      }
    });
    client.on('end', () => {
      clientEnded = true;
      if (upstream && pending.length === 0) upstream.end();
      else if (!upstream) client.end();
    });

    function toUpstream(b: Buffer) {
      if (upstream?.readyState === 'open') upstream.write(b);
      else pending.push(Buffer.from(b));
    }

    function onTarget(host: string, port: number) {
      if (misbehave === 'garbage') return void client.write(crypto.randomBytes(200));
      if (misbehave === 'close-silently') return void client.destroy();
      const up = net.connect({ host, port, allowHalfOpen: true });
      upstream = up;
      sockets.add(up);
      up.on('close', () => sockets.delete(up));
      up.on('error', () => client.destroy());
      up.on('connect', () => {
        for (const b of pending.splice(0)) up.write(b);
        if (clientEnded) up.end();
      });
      const salt = crypto.randomBytes(keySize);
      const sealer = new Aead(algorithm, subkey(salt));
      let first = true;
      let chunks = 0;
      up.on('data', (d: Buffer) => {
        for (let off = 0; off < d.length; off += is2022 ? 0xffff : 0x3fff) {
          const piece = d.subarray(off, off + (is2022 ? 0xffff : 0x3fff));
          const len = Buffer.alloc(2);
          len.writeUInt16BE(piece.length);
          const out: Buffer[] = [];
          if (first && is2022) {
            const echo = misbehave === 'wrong-salt-echo' ? crypto.randomBytes(keySize) : requestSalt;
            const age = misbehave === 'old-timestamp' ? 120 : 0;
            const header = Buffer.alloc(11 + keySize);
            header[0] = misbehave === 'wrong-type' ? 0 : 1;
            header.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000) - age), 1);
            echo.copy(header, 9);
            len.copy(header, 9 + keySize);
            out.push(salt, sealer.seal(header), sealer.seal(piece));
          } else {
            if (first) out.push(salt);
            out.push(sealer.seal(len), sealer.seal(piece));
          }
          first = false;
          const wire = Buffer.concat(out);
          if (misbehave === 'truncate' && ++chunks === 2) {
            client.end(wire.subarray(0, wire.length - 5));
            up.destroy();
            return;
          }
          client.write(wire);
        }
      });
      up.on('end', () => client.end());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    errors,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

class Aead {
  private counter = 0n;
  constructor(
    private readonly algorithm: string,
    private readonly key: Buffer,
  ) {}
  private nonce(): Buffer {
    const n = Buffer.alloc(12);
    n.writeBigUInt64LE(this.counter++);
    return n;
  }
  seal(plain: Buffer): Buffer {
    const c = crypto.createCipheriv(this.algorithm as crypto.CipherGCMTypes, this.key, this.nonce(), { authTagLength: TAG });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  }
  open(sealed: Buffer): Buffer | undefined {
    const d = crypto.createDecipheriv(this.algorithm as crypto.CipherGCMTypes, this.key, this.nonce(), { authTagLength: TAG });
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
    } catch {
      return undefined;
    }
  }
}

function evp(password: string, size: number): Buffer {
  let out = Buffer.alloc(0);
  let prev = Buffer.alloc(0);
  while (out.length < size) {
    prev = crypto.createHash('md5').update(Buffer.concat([prev, Buffer.from(password)])).digest();
    out = Buffer.concat([out, prev]);
  }
  return out.subarray(0, size);
}

function parseAddress(b: Buffer): { host: string; port: number; end: number } {
  if (b[0] === 1) return { host: [...b.subarray(1, 5)].join('.'), port: b.readUInt16BE(5), end: 7 };
  if (b[0] === 3) {
    const n = b[1]!;
    return { host: b.subarray(2, 2 + n).toString(), port: b.readUInt16BE(2 + n), end: 4 + n };
  }
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(1 + i * 2).toString(16));
  return { host: groups.join(':'), port: b.readUInt16BE(17), end: 19 };
}
