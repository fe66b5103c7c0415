/**
 * Errors that cross module boundaries carry a stable `code`; callers match on the code, never on the text.
 * Each code knows how it is said on the wire to a SOCKS5 client and to an HTTP client.
 */
export type ProxyErrorCode =
  | 'CONNECTION_REFUSED' // the target (or the upstream server) refused the TCP connection
  | 'HOST_UNREACHABLE' // DNS failure or no route to the host
  | 'NETWORK_UNREACHABLE'
  | 'TIMEOUT' // connect or handshake took longer than allowed
  | 'RULE_REJECTED' // a REJECT rule or the reject outbound
  | 'UPSTREAM_AUTH_FAILED' // the upstream proxy refused our credentials (wrong password / uuid)
  | 'UPSTREAM_REFUSED' // the upstream proxy answered but would not connect to the target
  | 'UPSTREAM_PROTOCOL' // the upstream proxy answered something we cannot parse
  | 'UPSTREAM_CLOSED' // the upstream server closed the connection before the handshake finished
  | 'TLS_FAILED' // TLS handshake or certificate verification failed
  | 'WS_HANDSHAKE_FAILED' // WebSocket upgrade answered with a non-101 status
  | 'NO_ALIVE_MEMBER' // a pool had nobody left to try
  | 'ABORTED'
  | 'INTERNAL';

/** SOCKS5 reply codes, RFC 1928 section 6. */
export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

const wire: Record<ProxyErrorCode, { socks: number; http: number }> = {
  CONNECTION_REFUSED: { socks: SocksReply.CONNECTION_REFUSED, http: 502 },
  HOST_UNREACHABLE: { socks: SocksReply.HOST_UNREACHABLE, http: 502 },
  NETWORK_UNREACHABLE: { socks: SocksReply.NETWORK_UNREACHABLE, http: 502 },
  TIMEOUT: { socks: SocksReply.TTL_EXPIRED, http: 504 },
  RULE_REJECTED: { socks: SocksReply.NOT_ALLOWED, http: 403 },
  UPSTREAM_AUTH_FAILED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  UPSTREAM_REFUSED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  UPSTREAM_PROTOCOL: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  UPSTREAM_CLOSED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  TLS_FAILED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  WS_HANDSHAKE_FAILED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  NO_ALIVE_MEMBER: { socks: SocksReply.GENERAL_FAILURE, http: 503 },
  ABORTED: { socks: SocksReply.GENERAL_FAILURE, http: 502 },
  INTERNAL: { socks: SocksReply.GENERAL_FAILURE, http: 500 },
};

export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  readonly code: ProxyErrorCode;
  /** Which outbound (server or pool) raised it, for passive health and the UI. */
  readonly outbound?: string;

  constructor(code: ProxyErrorCode, message: string, options: { cause?: unknown; outbound?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.outbound = options.outbound;
  }

  get socksReply(): number {
    return wire[this.code].socks;
  }

  get httpStatus(): number {
    return wire[this.code].http;
  }

  /**
   * Whether trying another pool member could help. A rule rejection or an abort would fail on every
   * member alike; an upstream that refused us or timed out might not be the only one.
   */
  get retryable(): boolean {
    return this.code !== 'RULE_REJECTED' && this.code !== 'ABORTED';
  }
}

/** Turns a Node socket error (ECONNREFUSED, ENOTFOUND...) into a ProxyError with the matching code. */
export function fromSocketError(err: unknown, what: string, outbound?: string): ProxyError {
  if (err instanceof ProxyError) return err;
  const e = err as NodeJS.ErrnoException;
  const code: ProxyErrorCode = (() => {
    switch (e?.code) {
      case 'ECONNREFUSED':
        return 'CONNECTION_REFUSED';
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EHOSTUNREACH':
        return 'HOST_UNREACHABLE';
      case 'ENETUNREACH':
        return 'NETWORK_UNREACHABLE';
      case 'ETIMEDOUT':
        return 'TIMEOUT';
      case 'ECONNRESET':
      case 'EPIPE':
        return 'UPSTREAM_CLOSED';
      case 'ABORT_ERR':
        return 'ABORTED';
      default:
        return 'INTERNAL';
    }
  })();
  return new ProxyError(code, `${what}: ${e?.message ?? String(err)}`, { cause: err, outbound });
}

/** A profile problem: `path` names the field (`proxies[2].port`), the message says what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
  }
}

/**
 * Names the outbound an error came from, so pools count failures per member and the UI can say who failed.
 * An error already attributed (by an inner layer) keeps its attribution; a socket error gets its code mapped.
 */
export function attributeError(err: unknown, outbound: string, what = 'upstream connection'): ProxyError {
  if (err instanceof ProxyError) {
    return err.outbound ? err : new ProxyError(err.code, err.message, { cause: err.cause ?? err, outbound });
  }
  return fromSocketError(err, what, outbound);
}
