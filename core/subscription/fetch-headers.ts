import type { IncomingHttpHeaders } from 'node:http';
import { decodeBase64Text } from './base64.js';

/**
 * What a subscription server says about the subscription in its response headers, as Clash for Windows
 * and Clash Verge read them:
 *   Subscription-Userinfo: upload=455727941; download=6174315083; total=1073741824000; expire=1671815872
 *   profile-update-interval: 24                     (hours)
 *   Profile-Title: base64:5py65Zy6                  (or plain text)
 *   Content-Disposition: attachment; filename*=UTF-8''%E6%9C%BA%E5%9C%BA.yaml
 */
export interface SubscriptionInfo {
  /** Profile-Title, else the Content-Disposition file name without its extension. */
  title?: string;
  /** Bytes. */
  upload?: number;
  download?: number;
  total?: number;
  /** Epoch seconds; absent (or 0 in the header) means it never expires. */
  expire?: number;
  /** profile-update-interval, in hours. */
  updateIntervalH?: number;
}

export function readSubscriptionInfo(headers: IncomingHttpHeaders): SubscriptionInfo {
  const info: SubscriptionInfo = { ...readUserinfo(one(headers['subscription-userinfo'])) };
  const interval = Number(one(headers['profile-update-interval'])?.trim());
  if (Number.isFinite(interval) && interval > 0) info.updateIntervalH = interval;
  const title = readProfileTitle(one(headers['profile-title'])) ?? readDispositionName(one(headers['content-disposition']));
  if (title) info.title = title;
  return info;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** `upload=1; download=2; total=3; expire=4`; unknown keys and non-numbers are ignored. */
export function readUserinfo(value: string | undefined): Pick<SubscriptionInfo, 'upload' | 'download' | 'total' | 'expire'> {
  const out: Pick<SubscriptionInfo, 'upload' | 'download' | 'total' | 'expire'> = {};
  if (!value) return out;
  for (const part of value.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const raw = part.slice(eq + 1).trim();
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || n < 0) continue;
    if (key === 'upload' || key === 'download' || key === 'total') out[key] = Math.round(n);
    else if (key === 'expire' && n > 0) out.expire = Math.round(n);
  }
  return out;
}

/** `base64:<text>` is decoded; Node hands header bytes over as latin1, so UTF-8 titles are re-read. */
export function readProfileTitle(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^base64:/i.test(trimmed)) return decodeBase64Text(trimmed.slice(7))?.trim() || undefined;
  return latin1ToUtf8(trimmed) || undefined;
}

/** RFC 6266: `filename*=UTF-8''...` wins over `filename="..."`. The extension is dropped. */
export function readDispositionName(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(value);
  if (extended) {
    try {
      name = decodeURIComponent(extended[2]!.trim().replace(/^"|"$/g, ''));
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(value);
    const raw = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
    if (raw) name = latin1ToUtf8(raw);
  }
  const base = name?.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|txt|conf|json)$/i, '').trim();
  return base || undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function latin1ToUtf8(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0080-\u00ff]/.test(text) || /[^\u0000-\u00ff]/.test(text)) return text;
  try {
    return strictUtf8.decode(Buffer.from(text, 'latin1'));
  } catch {
    return text;
  }
}
