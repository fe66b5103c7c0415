import { SubscriptionError } from '../errors.js';
import { decodeBase64 } from '../base64.js';
import { obj } from '../links/loose.js';
import { type ParsedSubscription, type SubscriptionFormat, SubscriptionCollector } from './collector.js';
import { looksLikeClashProfile, looksLikeClashYaml, readClashYaml } from './clash-yaml.js';
import { hasLinkLine, readLinkLines } from './link-list.js';
import { looksLikeSip008, readSip008 } from './sip008.js';

const unrecognised = (what: string) => new SubscriptionError('UNRECOGNISED_SUBSCRIPTION', `unrecognised subscription: ${what}`);

/**
 * Reads a subscription body in whichever format it is: a base64 list of share links, a plain list,
 * Clash/mihomo YAML (`proxies:`) or SIP008 JSON. Bad lines or entries are reported one by one next to
 * the good ones; a body with nothing usable at all is an EMPTY_ or UNRECOGNISED_SUBSCRIPTION error.
 */
export function parseSubscription(body: string | Uint8Array): ParsedSubscription {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const text = (typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')).replace(/^\uFEFF/, '');
  const trimmed = text.trim();
  if (size === 0) throw new SubscriptionError('EMPTY_SUBSCRIPTION', 'empty subscription: 0 bytes');
  if (trimmed === '') throw new SubscriptionError('EMPTY_SUBSCRIPTION', `empty subscription: only whitespace (${size} bytes)`);
  const into = new SubscriptionCollector();
  const format = readInto(trimmed, into);
  if (into.usable > 0) return into.result(format);
  if (into.errors.length === 0) throw new SubscriptionError('EMPTY_SUBSCRIPTION', `empty subscription: ${describeFormat(format)} with no servers in it`);
  const n = into.errors.length;
  throw new SubscriptionError(
    'UNRECOGNISED_SUBSCRIPTION',
    `unrecognised subscription: ${describeFormat(format)} in which none of ${n} ${n === 1 ? 'entry' : 'entries'} could be read; first: ${into.errors[0]!.message}`,
    into.errors,
  );
}

function readInto(text: string, into: SubscriptionCollector): SubscriptionFormat {
  if (text.startsWith('<')) throw unrecognised(describeMarkup(text));
  let clashAsJson = false;
  if (text.startsWith('{') || text.startsWith('[')) {
    const json = tryJson(text);
    if (looksLikeSip008(json)) {
      readSip008(obj(json)!, into);
      return 'sip008';
    }
    // JSON is YAML too: a Clash profile written as JSON goes to the YAML reader.
    clashAsJson = Array.isArray(obj(json)?.proxies);
    if (json !== undefined && !clashAsJson) throw unrecognised('a JSON document, but not SIP008 (it has no "servers" list)');
  }
  if (clashAsJson || looksLikeClashYaml(text)) {
    readClashYaml(text, into);
    return 'clash';
  }
  if (hasLinkLine(text)) {
    readLinkLines(text, into);
    return 'plain';
  }
  const decoded = decodeBase64(text);
  if (decoded) {
    const decodedText = utf8Text(decoded); // TextDecoder drops a leading byte-order mark
    if (decodedText === undefined) throw unrecognised(`base64 that decodes to ${decoded.length} bytes of binary data, not text`);
    if (!hasLinkLine(decodedText)) {
      if (decodedText.trim() === '') throw new SubscriptionError('EMPTY_SUBSCRIPTION', 'empty subscription: base64 that decodes to nothing');
      throw unrecognised(`base64 that decodes to ${decoded.length} bytes of text with no share links in it`);
    }
    readLinkLines(decodedText, into);
    return 'base64';
  }
  if (looksLikeClashProfile(text)) throw unrecognised('a Clash profile without a proxies: list');
  throw unrecognised(`not base64, share links, Clash YAML or SIP008 JSON; it starts with ${JSON.stringify(text.slice(0, 40))}`);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A cut-off base64 body may end inside a multi-byte character: up to 3 trailing bytes are forgiven. */
function utf8Text(bytes: Buffer): string | undefined {
  for (let drop = 0; drop <= 3 && drop < bytes.length; drop++) {
    try {
      return strictUtf8.decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      // try one byte shorter
    }
  }
  return undefined;
}

function describeMarkup(text: string): string {
  const head = text.slice(0, 4096);
  if (!/<(!doctype\s+html|html|head|body|title)[\s>]/i.test(head)) return 'looks like XML or other markup, not a subscription';
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(head)?.[1]?.trim().replace(/\s+/g, ' ');
  return `looks like an HTML page${title ? ` (title ${JSON.stringify(title.slice(0, 80))})` : ''}, not a subscription`;
}

function describeFormat(format: SubscriptionFormat): string {
  switch (format) {
    case 'base64':
      return 'a base64 list of links';
    case 'plain':
      return 'a list of links';
    case 'clash':
      return 'Clash YAML';
    case 'sip008':
      return 'SIP008 JSON';
  }
}
