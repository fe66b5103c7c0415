import type { VlessProxy } from '../types.js';
import { BadLinkError, SubscriptionError, labelUnsupported } from '../errors.js';
import { type Loose, compact, isTrue, str } from './loose.js';
import { readTransportQuery, transportFromClash, transportQueryPairs, transportToClash } from './stream-settings.js';
import { readTlsQuery, tlsFromClash, tlsQueryPairs, tlsToClash } from './tls-query.js';
import { type QueryParams, decodePart, formatHostPort, formatQuery, nameFragment, parseAuthorityLink } from './url-parts.js';

const S = 'vless';

/** `vless://uuid@host:port?type=&security=&sni=&...#name`, the XTLS share-link standard (Xray-core discussion #716). */
export function parseVlessLink(body: string): VlessProxy {
  const parts = parseAuthorityLink(S, body);
  const uuid = parts.userinfo === undefined ? '' : decodePart(S, parts.userinfo, 'uuid');
  if (uuid.trim() === '') throw new BadLinkError(S, 'missing uuid');
  const q = parts.query;
  const encryption = q.get('encryption');
  return labelUnsupported(parts.name, () =>
    compact({
      name: parts.name,
      type: S,
      server: parts.host,
      port: parts.port,
      uuid,
      flow: q.get('flow'),
      encryption: encryption === undefined || encryption === 'none' ? undefined : encryption,
      ...vlessTls(q),
      ...transportToClash(readTransportQuery(q)),
    }),
  );
}

function vlessTls(q: QueryParams): Partial<VlessProxy> {
  const tls = readTlsQuery(S, q, 'none');
  return tls.security === 'none' ? {} : { tls: true, ...tlsToClash(tls, 'servername') };
}

export function exportVlessLink(p: Loose, server: string, port: number, name: string): string {
  const uuid = str(p.uuid);
  if (!uuid) throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: vless proxy without uuid`);
  const tls = tlsFromClash(p, 'servername', isTrue(p.tls));
  const query = formatQuery([
    ['encryption', str(p.encryption) ?? 'none'],
    ['flow', str(p.flow)],
    ...tlsQueryPairs(tls),
    ...transportQueryPairs(transportFromClash(p, 'http')),
  ]);
  return `vless://${encodeURIComponent(uuid)}@${formatHostPort(server, port)}${query}${nameFragment(name, server, port)}`;
}
