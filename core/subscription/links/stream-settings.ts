import type { TransportFields } from '../types.js';
import { SubscriptionError, UnsupportedFeature } from '../errors.js';
import { type Loose, compact, obj, str, strList } from './loose.js';
import type { QueryParams } from './url-parts.js';

/**
 * Transport settings as share links spell them (Xray names: `type`, `headerType`, `host`, `path`,
 * `serviceName`), mapped to and from Clash's `network` + `*-opts`. Shared by vmess, vless and trojan.
 */
export interface LinkTransport {
  type: string;
  headerType?: string;
  host?: string;
  path?: string;
  serviceName?: string;
}

const splitList = (s: string | undefined): string[] | undefined => {
  const items = s?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return items && items.length > 0 ? items : undefined;
};

/** Throws UnsupportedFeature for transports Clash cannot run (kcp, quic, xhttp...). */
export function transportToClash(t: LinkTransport): TransportFields {
  const type = t.type.toLowerCase();
  switch (type) {
    case '':
    case 'tcp':
    case 'raw': // Xray's newer name for tcp
      if (t.headerType?.toLowerCase() !== 'http') return { network: 'tcp' };
      return { network: 'http', 'http-opts': compact({ path: splitList(t.path), headers: t.host ? { Host: splitList(t.host)! } : undefined }) };
    case 'ws':
    case 'httpupgrade': {
      const opts = compact({
        path: t.path,
        headers: t.host ? { Host: t.host } : undefined,
        'v2ray-http-upgrade': type === 'httpupgrade' ? (true as const) : undefined,
      });
      return Object.keys(opts).length > 0 ? { network: 'ws', 'ws-opts': opts } : { network: 'ws' };
    }
    case 'http': // Xray calls HTTP/2 `http`; v2rayN's vmess JSON calls it `h2`
    case 'h2': {
      const opts = compact({ host: splitList(t.host), path: t.path });
      return Object.keys(opts).length > 0 ? { network: 'h2', 'h2-opts': opts } : { network: 'h2' };
    }
    case 'grpc':
      return t.serviceName ? { network: 'grpc', 'grpc-opts': { 'grpc-service-name': t.serviceName } } : { network: 'grpc' };
    default:
      throw new UnsupportedFeature(`transport ${JSON.stringify(t.type)} is not supported`);
  }
}

/** `h2Name` is what this link format calls HTTP/2: `http` in URL links, `h2` in vmess JSON. */
export function transportFromClash(p: Loose, h2Name: 'http' | 'h2'): LinkTransport {
  const network = str(p.network) ?? 'tcp';
  switch (network) {
    case 'tcp':
      return { type: 'tcp' };
    case 'http': {
      const o = obj(p['http-opts']) ?? {};
      return { type: 'tcp', headerType: 'http', host: strList(obj(o.headers)?.Host)?.join(','), path: strList(o.path)?.join(',') };
    }
    case 'ws': {
      const o = obj(p['ws-opts']) ?? {};
      const upgrade = o['v2ray-http-upgrade'] === true;
      return { type: upgrade ? 'httpupgrade' : 'ws', host: str(obj(o.headers)?.Host), path: str(o.path) };
    }
    case 'h2': {
      const o = obj(p['h2-opts']) ?? {};
      return { type: h2Name, host: strList(o.host)?.join(','), path: str(o.path) };
    }
    case 'grpc':
      return { type: 'grpc', serviceName: str(obj(p['grpc-opts'])?.['grpc-service-name']) };
    default:
      throw new SubscriptionError('UNEXPORTABLE_PROXY', `${str(p.name) ?? 'proxy'}: network ${JSON.stringify(network)} has no share-link form`);
  }
}

/** vless and trojan links carry the transport in these query parameters. */
export function readTransportQuery(q: QueryParams): LinkTransport {
  return {
    type: q.get('type') ?? 'tcp',
    headerType: q.get('headerType'),
    host: q.get('host'),
    path: q.get('path'),
    serviceName: q.get('serviceName'),
  };
}

export function transportQueryPairs(t: LinkTransport): [string, string | undefined][] {
  return [
    ['type', t.type],
    ['headerType', t.headerType],
    ['host', t.host],
    ['path', t.path],
    ['serviceName', t.serviceName],
  ];
}
