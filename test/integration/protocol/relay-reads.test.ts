import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbound } from '../../../core/adapter/outbound.js';
import { createHttpProxy } from '../../../core/protocol/http/index.js';
import { createSocks5 } from '../../../core/protocol/socks5/index.js';
import { takeReads } from '../../../core/transport/tcp.js';
import { startMicrosocks, startTinyproxy, type ReferenceServer } from '../../helpers/reference-servers.js';
import { dialContext } from './http/dial-context.js';

/**
 * SOCKS5 and HTTP CONNECT outbounds over plain TCP hand relay() a socket it can read directly (takeReads:
 * reused read buffers, no stream machinery), like DIRECT does. The origin speaks first, so part of its
 * bytes arrive during the handshake and must come out of takeReads first, in order, none lost.
 */
const PAYLOAD = crypto.randomBytes(6 * 1024 * 1024 + 123);

describe('handshake outbounds give relay() a directly readable socket', () => {
  let origin: net.Server;
  let originPort: number;
  let microsocks: ReferenceServer;
  let tinyproxy: ReferenceServer;

  beforeAll(async () => {
    // Writes its whole payload the moment a connection opens, then ends.
    origin = net.createServer((s) => s.end(PAYLOAD));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originPort = (origin.address() as net.AddressInfo).port;
    [microsocks, tinyproxy] = await Promise.all([startMicrosocks(), startTinyproxy()]);
  });
  afterAll(async () => {
    await Promise.all([microsocks?.stop(), tinyproxy?.stop(), new Promise((r) => origin?.close(r))]);
  });

  async function readAllTaken(outbound: Outbound): Promise<{ taken: boolean; body: Buffer }> {
    const dest = { host: '127.0.0.1', port: originPort };
    const socket = await outbound.dial(dest, dialContext(dest));
    // Let the origin's bytes pile up behind the handshake before anything takes the socket.
    await new Promise((r) => setTimeout(r, 50));
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    // Reused buffers: a chunk is valid only until the sink returns, so keep a copy.
    const taken = takeReads(socket, (chunk) => {
      chunks.push(Buffer.from(chunk));
      return true;
    });
    if (!taken) socket.on('data', (c: Buffer) => chunks.push(c));
    await ended;
    socket.destroy();
    return { taken, body: Buffer.concat(chunks) };
  }

  it.each([
    ['socks5 (microsocks)', () => createSocks5({ name: 'ms', type: 'socks5', server: '127.0.0.1', port: microsocks.port })],
    ['http CONNECT (tinyproxy)', () => createHttpProxy({ name: 'tp', type: 'http', server: '127.0.0.1', port: tinyproxy.port })],
  ])('%s', async (_name, outbound) => {
    const { taken, body } = await readAllTaken(outbound());
    expect(taken).toBe(true);
    expect(body.length).toBe(PAYLOAD.length);
    expect(body.equals(PAYLOAD)).toBe(true);
  });
});
