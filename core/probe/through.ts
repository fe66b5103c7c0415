import http from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { DialContext, Destination, Outbound } from '../adapter/outbound.js';
import { ProxyError } from '../adapter/errors.js';
import { ProbeFailure } from './errors.js';

/** Where a probe URL points, split the way a dial and an HTTP request need it. */
export interface ProbeTarget {
  destination: Destination;
  tls: boolean;
  /** Host header value (with the port when it is not the scheme's default). */
  hostHeader: string;
  path: string;
}

export function probeTarget(url: string): ProbeTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ProbeFailure('BAD_URL', `probe URL ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProbeFailure('BAD_URL', `probe URL must be http or https, got ${u.protocol}`);
  const secure = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    destination: { host, port: u.port ? Number(u.port) : secure ? 443 : 80 },
    tls: secure,
    hostHeader: u.host,
    path: `${u.pathname}${u.search}`,
  };
}

let probeCounter = 0;

/** The context of a probe's dial: inbound `probe`, so logs and the tracker can tell it from user traffic. */
export function probeContext(outbound: string, destination: Destination, signal: AbortSignal): DialContext {
  const now = Date.now();
  return {
    meta: {
      id: `probe-${now.toString(36)}-${(probeCounter++).toString(36)}`,
      network: 'tcp',
      inbound: 'probe',
      source: { address: '127.0.0.1', port: 0 },
      destination,
      startedAt: now,
    },
    chain: [outbound],
    signal,
  };
}

type CreateConnection = NonNullable<http.ClientRequestArgs['createConnection']>;

/**
 * A node:http `createConnection` that dials through `outbound` (and wraps TLS for https URLs) and hands
 * the stream over through the callback. Every stream it made is passed to `opened`, so the caller can
 * destroy it whatever happens to the request. Pass it with no `agent` at all: `agent: false` makes Node 20
 * build a fresh default agent that ignores `createConnection` and connects directly.
 */
export function dialThrough(outbound: Outbound, target: ProbeTarget, signal: AbortSignal, opened: (s: Duplex) => void): CreateConnection {
  return (_options, oncreate) => {
    outbound.dial(target.destination, probeContext(outbound.name, target.destination, signal)).then(
      (stream) => {
        opened(stream);
        if (signal.aborted) return oncreate(signal.reason as Error, stream);
        if (!target.tls) return oncreate(null, stream);
        const secure = tls.connect({ socket: stream, servername: target.destination.host, ALPNProtocols: ['http/1.1'] });
        opened(secure);
        const onError = (err: Error) => oncreate(new ProxyError('TLS_FAILED', `probe TLS to ${target.hostHeader}: ${err.message}`, { cause: err }), secure);
        secure.once('error', onError);
        secure.once('secureConnect', () => {
          secure.off('error', onError);
          oncreate(null, secure);
        });
      },
      (err: Error) => oncreate(err, undefined as unknown as Duplex),
    );
    return undefined;
  };
}

/**
 * An agent for exactly one kept-alive connection through an outbound (unified delay: the second request
 * rides the first one's connection). The stream may be any Duplex (a Shadowsocks or VMess framing), so the
 * keep-alive hooks do not call net.Socket-only methods (setKeepAlive, ref, unref).
 */
export class OneConnectionAgent extends http.Agent {
  constructor(private readonly connect: CreateConnection) {
    super({ keepAlive: true, maxSockets: 1 });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    return this.connect(options, callback ?? (() => {}));
  }

  override keepSocketAlive(): boolean {
    return true;
  }

  override reuseSocket(): void {}
}

/** The request headers every probe sends. */
export function probeHeaders(target: ProbeTarget): http.OutgoingHttpHeaders {
  return { host: target.hostHeader, 'user-agent': 'switchyard-probe', accept: '*/*' };
}
