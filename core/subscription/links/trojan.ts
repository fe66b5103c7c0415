import type { TrojanProxy } from '../types.js';
import { BadLinkError, SubscriptionError, UnsupportedFeature, labelUnsupported } from '../errors.js';
import { type Loose, str } from './loose.js';
import { readTransportQuery, transportFromClash, transportQueryPairs, transportToClash } from './stream-settings.js';
import { readTlsQuery, tlsFromClash, tlsQueryPairs, tlsToClash } from './tls-query.js';
import { decodePart, formatHostPort, formatQuery, nameFragment, parseAuthorityLink } from './url-parts.js';

const S = 'trojan';

/** `trojan://password@host:port?security=tls&sni=&type=ws&host=&path=#name`; TLS unless the link says otherwise. */
export function parseTrojanLink(body: string): TrojanProxy {
  const parts = parseAuthorityLink(S, body);
  const password = parts.userinfo === undefined ? '' : decodePart(S, parts.userinfo, 'password');
  if (password === '') throw new BadLinkError(S, 'missing password');
  return labelUnsupported(parts.name, () => {
    const tls = readTlsQuery(S, parts.query, 'tls');
    if (tls.security === 'none') throw new UnsupportedFeature('trojan without TLS is not supported');
    return {
      name: parts.name,
      type: S,
      server: parts.host,
      port: parts.port,
      password,
      ...tlsToClash(tls, 'sni'),
      ...transportToClash(readTransportQuery(parts.query)),
    };
  });
}

export function exportTrojanLink(p: Loose, server: string, port: number, name: string): string {
  const password = str(p.password);
  if (!password) throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: trojan proxy without password`);
  const query = formatQuery([...tlsQueryPairs(tlsFromClash(p, 'sni', true)), ...transportQueryPairs(transportFromClash(p, 'http'))]);
  return `trojan://${encodeURIComponent(password)}@${formatHostPort(server, port)}${query}${nameFragment(name, server, port)}`;
}
