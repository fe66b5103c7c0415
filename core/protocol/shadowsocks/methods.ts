/**
 * The Shadowsocks ciphers we speak. `aead` is SIP004 (password → EVP_BytesToKey, HKDF-SHA1 subkeys,
 * 0x3FFF payload cap); `2022` is SIP022 (base64 PSK, BLAKE3 subkeys, fixed headers, 0xFFFF cap).
 */
export type Edition = 'aead' | '2022';

export interface Method {
  readonly name: string;
  readonly edition: Edition;
  /** node:crypto AEAD name. */
  readonly algorithm: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keySize: number;
  /** Salt length; equals the key length for every method we support. */
  readonly saltSize: number;
}

export const TAG_SIZE = 16;

const aead = (name: string, algorithm: Method['algorithm'], keySize: number): Method => ({ name, edition: 'aead', algorithm, keySize, saltSize: keySize });
const v2022 = (name: string, algorithm: Method['algorithm'], keySize: number): Method => ({ name, edition: '2022', algorithm, keySize, saltSize: keySize });

const methods: readonly Method[] = [
  aead('aes-128-gcm', 'aes-128-gcm', 16),
  aead('aes-192-gcm', 'aes-192-gcm', 24),
  aead('aes-256-gcm', 'aes-256-gcm', 32),
  aead('chacha20-ietf-poly1305', 'chacha20-poly1305', 32),
  // mihomo accepts the short spelling for the same IETF construction.
  aead('chacha20-poly1305', 'chacha20-poly1305', 32),
  v2022('2022-blake3-aes-128-gcm', 'aes-128-gcm', 16),
  v2022('2022-blake3-aes-256-gcm', 'aes-256-gcm', 32),
  v2022('2022-blake3-chacha20-poly1305', 'chacha20-poly1305', 32),
];

const byName = new Map(methods.map((m) => [m.name, m]));

export const methodNames = methods.map((m) => m.name) as [string, ...string[]];

export function findMethod(name: string): Method | undefined {
  return byName.get(name);
}
