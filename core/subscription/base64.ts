/** Base64 as subscriptions use it: standard or URL-safe alphabet, padded or not, wrapped with line breaks. */

const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The decoded bytes, or undefined when `text` (whitespace aside) is not base64 at all. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !BASE64_TEXT.test(compact)) return undefined;
  if (compact.replace(/=+$/, '').length % 4 === 1) return undefined; // one stray character cannot encode a byte
  return Buffer.from(compact, 'base64'); // Node reads both alphabets, with or without padding
}

/** The decoded UTF-8 text, or undefined when it is not base64 or does not decode to valid UTF-8. */
export function decodeBase64Text(text: string): string | undefined {
  const bytes = decodeBase64(text);
  if (!bytes) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export const encodeBase64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** URL-safe and unpadded, so it can sit in a URL's userinfo without escaping. */
export const encodeBase64Url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
