import net from 'node:net';

/**
 * A real SOCKS5 server (no auth, CONNECT only, RFC 1928) on 127.0.0.1 whose behaviour tests change at
 * run time, to stand in for a slow, broken or narrow upstream:
 *   - `delayMs`: waits this long after reading the CONNECT request before connecting and answering;
 *   - `drop`: closes every connection right after answering the greeting (the upstream "died");
 *   - `bytesPerSecond`: throttles the relay in both directions with a token bucket.
 * A connection takes the behaviour in force when its CONNECT arrives (drop: when its greeting arrives).
 * It counts what it saw, so tests can check from the server side how many connections were open at once.
 */
export interface Socks5Behaviour {
  delayMs: number;
  drop: boolean;
  /** undefined or 0: unthrottled. */
  bytesPerSecond?: number;
}

export interface ControlledSocks5 {
  port: number;
  behaviour: Socks5Behaviour;
  set(change: Partial<Socks5Behaviour>): void;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  /** CONNECT requests read so far (dropped connections never get that far). */
  readonly connects: number;
  /** Client connections open now, and the most ever open at once. */
  readonly open: number;
  readonly maxOpen: number;
  /**
   * CONNECTs waiting out their delay now, and the most at once. Unlike `open`, this has no race with a
   * client's close still in flight: a client only sends its next CONNECT after this one was answered.
   */
  readonly pending: number;
  readonly maxPending: number;
  /** Date.now() of every accepted connection, in order. */
  readonly acceptTimes: readonly number[];
  /** Destination of every CONNECT, `host:port`. */
  readonly destinations: readonly string[];
  resetCounters(): void;
  close(): Promise<void>;
}

export async function startControlledSocks5(initial: Partial<Socks5Behaviour> = {}): Promise<ControlledSocks5> {
  const behaviour: Socks5Behaviour = { delayMs: 0, drop: false, ...initial };
  const stats = { accepted: 0, connects: 0, open: 0, maxOpen: 0, pending: 0, maxPending: 0, acceptTimes: [] as number[], destinations: [] as string[] };
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server = net.createServer((client) => {
    stats.accepted++;
    stats.acceptTimes.push(Date.now());
    stats.open++;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    sockets.add(client);
    client.once('close', () => {
      stats.open--;
      sockets.delete(client);
    });
    client.on('error', () => {});
    handshake(client);
  });

  function handshake(client: net.Socket): void {
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'busy' = 'greeting';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        if (buf[0] !== 5) return void client.destroy();
        buf = buf.subarray(2 + buf[1]!);
        client.write(Buffer.from([5, 0]));
        if (behaviour.drop) return void client.destroy();
        stage = 'request';
      }
      if (stage === 'request') {
        const request = parseRequest(buf);
        if (!request) return;
        if (request.length < 0) return void client.destroy(); // unknown address type
        stage = 'busy';
        client.off('data', onData);
        client.pause();
        stats.connects++;
        stats.destinations.push(`${request.host}:${request.port}`);
        const rest = buf.subarray(request.length);
        const rate = behaviour.bytesPerSecond;
        stats.pending++;
        stats.maxPending = Math.max(stats.maxPending, stats.pending);
        later(behaviour.delayMs, () => {
          stats.pending--;
          connect(client, request.host, request.port, rest, rate);
        });
      }
    };
    client.on('data', onData);
  }

  function connect(client: net.Socket, host: string, port: number, early: Buffer, rate: number | undefined): void {
    if (client.destroyed) return;
    const upstream = net.connect({ host, port });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    const fail = () => {
      // REP 5: connection refused, with a zero IPv4 bind address.
      if (client.writable) client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
    };
    upstream.once('error', fail);
    upstream.once('connect', () => {
      upstream.off('error', fail);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
      if (early.length) upstream.write(early);
      relay(client, upstream, rate);
      relay(upstream, client, rate);
      client.resume();
    });
  }

  /** Copies `from` → `to`, holding each chunk until the token bucket allows it when throttled. */
  function relay(from: net.Socket, to: net.Socket, rate: number | undefined): void {
    // A side that closed without a clean end (reset, error) takes the other down with it.
    from.once('close', () => {
      if (!from.readableEnded) to.destroy();
    });
    if (!rate) {
      from.pipe(to);
      return;
    }
    // Starts empty (no burst ahead of the rate) and holds 250 ms worth, so a timer that fires late on a busy
    // machine is caught up on rather than lost: over a second the rate stays the rate.
    const capacity = Math.max(1, Math.floor(rate / 4));
    let tokens = 0;
    let last = performance.now();
    const queue: Buffer[] = [];
    let draining = false;
    const refill = () => {
      const now = performance.now();
      tokens = Math.min(capacity, tokens + ((now - last) / 1000) * rate);
      last = now;
    };
    const drain = () => {
      draining = true;
      refill();
      while (queue.length && tokens >= 1) {
        const head = queue[0]!;
        const n = Math.min(head.length, Math.floor(tokens));
        tokens -= n;
        if (n === head.length) queue.shift();
        else queue[0] = head.subarray(n);
        if (!to.destroyed) to.write(head.subarray(0, n));
      }
      if (queue.length) return later(Math.max(1, Math.ceil(((Math.min(queue[0]!.length, 16 * 1024) - tokens) / rate) * 1000)), drain);
      draining = false;
      from.resume();
      if (ended) to.end();
    };
    let ended = false;
    from.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      from.pause();
      if (!draining) drain();
    });
    from.once('end', () => {
      ended = true;
      if (!draining) to.end();
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    behaviour,
    set: (change) => Object.assign(behaviour, change),
    get accepted() {
      return stats.accepted;
    },
    get connects() {
      return stats.connects;
    },
    get open() {
      return stats.open;
    },
    get maxOpen() {
      return stats.maxOpen;
    },
    get pending() {
      return stats.pending;
    },
    get maxPending() {
      return stats.maxPending;
    },
    get acceptTimes() {
      return stats.acceptTimes;
    },
    get destinations() {
      return stats.destinations;
    },
    resetCounters() {
      stats.accepted = 0;
      stats.connects = 0;
      stats.maxOpen = stats.open;
      stats.maxPending = stats.pending;
      stats.acceptTimes = [];
      stats.destinations = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** VER CMD RSV ATYP ADDR PORT; undefined until the whole request is in. */
function parseRequest(buf: Buffer): { host: string; port: number; length: number } | undefined {
  if (buf.length < 5) return undefined;
  const atyp = buf[3];
  let host: string;
  let end: number;
  if (atyp === 1) {
    end = 4 + 4;
    if (buf.length < end + 2) return undefined;
    host = [...buf.subarray(4, 8)].join('.');
  } else if (atyp === 3) {
    end = 5 + buf[4]!;
    if (buf.length < end + 2) return undefined;
    host = buf.subarray(5, end).toString('utf8');
  } else if (atyp === 4) {
    end = 4 + 16;
    if (buf.length < end + 2) return undefined;
    host = ipv6(buf.subarray(4, 20));
  } else {
    return { host: '', port: 0, length: -1 };
  }
  return { host, port: buf.readUInt16BE(end), length: end + 2 };
}

function ipv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}
