import type { Duplex } from 'node:stream';
import type { Dispatcher, OpenedConnection } from '../adapter/dispatcher.js';
import type { ConnectionMeta, Outbound } from '../adapter/outbound.js';
import type { ConnectionTracker } from '../stats/tracker.js';
import { relay } from '../stats/relay.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';

/** The router's answer for one connection: where it goes and which rule said so. */
export interface RouteDecision {
  outbound: Outbound;
  rule: string;
  payload: string;
}

export type Route = (meta: ConnectionMeta) => RouteDecision | Promise<RouteDecision>;

/**
 * inbound → dispatcher → route (rules) → outbound.dial → tracker; the inbound then answers and relays.
 */
export class RoutingDispatcher implements Dispatcher {
  constructor(
    private readonly route: Route,
    private readonly tracker: ConnectionTracker,
    private readonly logger: Logger = silentLogger,
  ) {}

  async open(meta: ConnectionMeta): Promise<OpenedConnection> {
    const decision = await this.route(meta);
    meta.rule = decision.rule;
    meta.rulePayload = decision.payload;
    const chain = [decision.outbound.name];
    const dest = meta.destination;
    let upstream: Duplex;
    try {
      upstream = await decision.outbound.dial(dest, { meta, chain });
    } catch (err) {
      if (this.logger.isLevelEnabled('debug')) {
        this.logger.debug({ id: meta.id, dest: `${dest.host}:${dest.port}`, chain, err: (err as Error).message }, 'dial failed');
      }
      throw err;
    }
    let client: Duplex | undefined;
    const tracked = this.tracker.track(meta, chain, () => {
      upstream.destroy();
      client?.destroy();
    });
    // Built only when it will be written: this runs for every connection.
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug(
        { id: meta.id, inbound: meta.inbound, src: `${meta.source.address}:${meta.source.port}`, dest: `${dest.host}:${dest.port}`, rule: `${decision.rule}${decision.payload ? `,${decision.payload}` : ''}`, chain },
        'connection opened',
      );
    }
    return {
      upstream,
      tracked,
      relay: (c: Duplex) => {
        client = c;
        return relay(c, upstream, tracked);
      },
    };
  }
}

let nextId = 0;
/** Connection ids: short, unique within the process, sortable by start. */
export function newConnectionId(): string {
  return `${Date.now().toString(36)}-${(nextId++).toString(36)}`;
}
