import crypto from 'node:crypto';
import net from 'node:net';
import type { Destination, Outbound } from '../../core/adapter/outbound.js';
import { RoutingDispatcher, newConnectionId } from '../../core/route/dispatcher.js';
import { ConnectionTracker } from '../../core/stats/tracker.js';
import { TrafficStats } from '../../core/stats/traffic.js';

/**
 * A port forward to `destination` through `outbound`, standing in for an inbound: every client connection
 * goes dispatcher → relay → outbound, tracked.
 */
export async function forwardThrough(outbound: Outbound, destination: () => Destination): Promise<{ port: number; forward: net.Server; tracker: ConnectionTracker }> {
  const tracker = new ConnectionTracker(new TrafficStats());
  const dispatcher = new RoutingDispatcher(() => ({ outbound, rule: 'MATCH', payload: '' }), tracker);
  const forward = net.createServer({ allowHalfOpen: true }, async (client) => {
    const meta = { id: newConnectionId(), network: 'tcp' as const, inbound: 'test', source: { address: '127.0.0.1', port: client.remotePort ?? 0 }, destination: destination(), startedAt: Date.now() };
    try {
      await (await dispatcher.open(meta)).relay(client);
    } catch {
      client.destroy();
    }
  });
  await new Promise<void>((r) => forward.listen(0, '127.0.0.1', r));
  return { port: (forward.address() as net.AddressInfo).port, forward, tracker };
}

/**
 * GET /bytes/<size> over a plain connection to `port` by a client that keeps stopping to read, long enough
 * for the relay's writes to back up and its reads to wait; resolves with the body's size and SHA-256.
 */
export async function stopAndGoDownload(port: number, size: number): Promise<{ bytes: number; sha256: string }> {
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let events = 0;
    const c = net.connect({ host: '127.0.0.1', port }, () => {
      c.write(`GET /bytes/${size} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      if (++events % 8 === 0) {
        c.pause();
        setTimeout(() => c.resume(), 20 + (events % 3) * 15);
      }
    });
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
  const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
  return { bytes: body.length, sha256: crypto.createHash('sha256').update(body).digest('hex') };
}
