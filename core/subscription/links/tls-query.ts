import { describe } from '../../config/fields.js';
import type { RealityOpts } from '../types.js';
import { BadLinkError, UnsupportedFeature } from '../errors.js';
import { type Loose, compact, isTrue, obj, str, strList } from './loose.js';
import type { QueryParams } from './url-parts.js';

/** TLS and REALITY settings as vless/trojan links spell them (`security`, `sni`, `alpn`, `fp`, `pbk`, `sid`). */
export interface LinkTls {
  security: 'none' | 'tls' | 'reality';
  sni?: string;
  alpn?: string[];
  fp?: string;
  pbk?: string;
  sid?: string;
  insecure: boolean;
}

export function readTlsQuery(scheme: string, q: QueryParams, fallback: 'none' | 'tls'): LinkTls {
  const security = (q.get('security') ?? fallback).toLowerCase();
  if (security === 'xtls') throw new UnsupportedFeature('security "xtls" is not supported (Xray replaced it with flow=xtls-rprx-vision)');
  if (security !== 'none' && security !== 'tls' && security !== 'reality') {
    throw new BadLinkError(scheme, `security: expected one of none, tls, reality, got ${describe(q.get('security'))}`);
  }
  if (security === 'reality' && q.get('pbk') === undefined) throw new BadLinkError(scheme, 'security=reality needs "pbk" (the server\'s public key)');
  return {
    security,
    sni: q.get('sni') ?? q.get('peer'), // `peer` is the older trojan spelling
    alpn: q.list('alpn'),
    fp: q.get('fp'),
    pbk: q.get('pbk'),
    sid: q.get('sid'),
    insecure: q.flag('allowInsecure') || q.flag('insecure'),
  };
}

/** The Clash TLS fields; `sniKey` is `servername` for vless/vmess and `sni` for trojan. */
export function tlsToClash(tls: LinkTls, sniKey: 'servername' | 'sni') {
  if (tls.security === 'none') return {};
  const reality: RealityOpts | undefined =
    tls.security === 'reality' ? compact({ 'public-key': tls.pbk!, 'short-id': tls.sid }) : undefined;
  return compact({
    [sniKey]: tls.sni,
    alpn: tls.alpn,
    'client-fingerprint': tls.fp,
    'skip-cert-verify': tls.insecure ? (true as const) : undefined,
    'reality-opts': reality,
  });
}

export function tlsFromClash(p: Loose, sniKey: 'servername' | 'sni', tlsOn: boolean): LinkTls {
  const reality = obj(p['reality-opts']);
  return {
    security: reality ? 'reality' : tlsOn ? 'tls' : 'none',
    sni: str(p[sniKey]),
    alpn: strList(p.alpn),
    fp: str(p['client-fingerprint']),
    pbk: str(reality?.['public-key']),
    sid: str(reality?.['short-id']),
    insecure: isTrue(p['skip-cert-verify']),
  };
}

/** Query pairs in the canonical order. */
export function tlsQueryPairs(tls: LinkTls): [string, string | undefined][] {
  if (tls.security === 'none') return [['security', 'none']];
  return [
    ['security', tls.security],
    ['sni', tls.sni],
    ['alpn', tls.alpn?.join(',')],
    ['fp', tls.fp],
    ['pbk', tls.pbk],
    ['sid', tls.sid],
    ['allowInsecure', tls.insecure ? '1' : undefined],
  ];
}
