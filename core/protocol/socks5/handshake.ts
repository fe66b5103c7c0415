import net from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeSocksAddress } from '../common/address.js';
import type { Destination } from '../../adapter/outbound.js';
import { ProxyError, SocksReply, type ProxyErrorCode } from '../../adapter/errors.js';
import { HandshakeReader } from './handshake-reader.js';

/*
 * SOCKS5 client side of CONNECT (RFC 1928) with username/password auth (RFC 1929).
 *
 * Written here rather than taken from the `socks` package: over an existing stream that client
 * (2.8) keeps a timer alive for the whole timeout after every successful dial, reports the server's
 * reply only as message text, and resumes the stream on a later tick and re-emits early bytes as a
 * synthetic 'data' event, so a server-first banner is lost when the caller attaches its reader late.
 */

const VERSION = 0x05;
const METHOD_NO_AUTH = 0x00;
const METHOD_USER_PASS = 0x02;
const METHOD_NONE_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const REQUEST_HEAD = Buffer.from([VERSION, CMD_CONNECT, 0x00]);
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export interface Socks5Credentials {
  username: string;
  password: string;
}

export interface Socks5HandshakeOptions {
  credentials?: Socks5Credentials;
  /** Names the upstream in messages, e.g. `socks5 upstream 127.0.0.1:1080`. Never holds credentials. */
  peer: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Asks the SOCKS5 server at the other end of `stream` to CONNECT to `destination`. Domain names are sent
 * as names (the server resolves them), IP literals as IPv4/IPv6 addresses. Resolves once the server
 * granted the connection; the stream is then ready for payload, with no listener or timer of ours left
 * on it. On failure the stream is destroyed and the promise rejects with a ProxyError.
 */
export async function socks5Connect(stream: Duplex, destination: Destination, opts: Socks5HandshakeOptions): Promise<void> {
  const reader = new HandshakeReader(stream, opts.peer);
  const onAbort = () => reader.fail(new ProxyError('ABORTED', `${opts.peer}: handshake aborted`));
  const timer = setTimeout(
    () => reader.fail(new ProxyError('TIMEOUT', `${opts.peer}: no SOCKS5 handshake answer within ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  try {
    await negotiate(stream, reader, destination, opts);
    reader.release();
  } catch (err) {
    stream.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function negotiate(stream: Duplex, reader: HandshakeReader, destination: Destination, opts: Socks5HandshakeOptions): Promise<void> {
  const { credentials, peer } = opts;
  const request = encodeConnectRequest(destination, peer);
  stream.write(Buffer.from(credentials ? [VERSION, 2, METHOD_NO_AUTH, METHOD_USER_PASS] : [VERSION, 1, METHOD_NO_AUTH]));

  const [version, method] = await reader.read(2);
  if (version !== VERSION) throw new ProxyError('UPSTREAM_PROTOCOL', `${peer}: not a SOCKS5 server (version byte 0x${hex(version!)})`);
  if (method === METHOD_NONE_ACCEPTABLE)
    throw new ProxyError(
      'UPSTREAM_AUTH_FAILED',
      credentials ? `${peer} accepted none of our authentication methods` : `${peer} requires authentication and no username is configured`,
    );
  if (method === METHOD_USER_PASS && credentials) await authenticate(stream, reader, credentials, peer);
  else if (method !== METHOD_NO_AUTH) throw new ProxyError('UPSTREAM_PROTOCOL', `${peer} chose authentication method 0x${hex(method!)} we did not offer`);

  stream.write(request);
  // Judge VER and REP before the rest: some servers send a short failure reply and close.
  const [replyVersion, reply] = await reader.read(2);
  if (replyVersion !== VERSION) throw new ProxyError('UPSTREAM_PROTOCOL', `${peer}: bad reply version 0x${hex(replyVersion!)}`);
  if (reply !== SocksReply.SUCCEEDED) {
    const { code, reason } = describeReply(reply!);
    throw new ProxyError(code, `${peer} could not connect to ${formatDestination(destination)}: ${reason} (SOCKS5 reply 0x${hex(reply!)})`);
  }
  const [, atyp] = await reader.read(2);
  // The bound address is of no use to a CONNECT client, but it must be consumed to reach the payload.
  if (atyp === ATYP_IPV4) await reader.read(4 + 2);
  else if (atyp === ATYP_IPV6) await reader.read(16 + 2);
  else if (atyp === ATYP_DOMAIN) await reader.read((await reader.read(1))[0]! + 2);
  else throw new ProxyError('UPSTREAM_PROTOCOL', `${peer}: unknown address type 0x${hex(atyp!)} in reply`);
}

/** RFC 1929 sub-negotiation. Version 0x01 is the standard; some servers echo 0x05, which we tolerate. */
async function authenticate(stream: Duplex, reader: HandshakeReader, credentials: Socks5Credentials, peer: string): Promise<void> {
  const user = Buffer.from(credentials.username, 'utf8');
  const pass = Buffer.from(credentials.password, 'utf8');
  stream.write(Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([pass.length]), pass]));
  const [version, status] = await reader.read(2);
  if (version !== 0x01 && version !== VERSION) throw new ProxyError('UPSTREAM_PROTOCOL', `${peer}: bad authentication reply version 0x${hex(version!)}`);
  if (status !== 0x00) throw new ProxyError('UPSTREAM_AUTH_FAILED', `${peer} rejected the username or password (status 0x${hex(status!)})`);
}

/** VER CMD RSV ATYP DST.ADDR DST.PORT */
export function encodeConnectRequest(destination: Destination, peer = 'socks5 upstream'): Buffer {
  let address: Buffer;
  try {
    address = encodeSocksAddress(destination);
  } catch (err) {
    throw new ProxyError('HOST_UNREACHABLE', `${peer}: ${(err as Error).message}, which SOCKS5 cannot carry`);
  }
  return Buffer.concat([REQUEST_HEAD, address]);
}

export function describeReply(reply: number): { code: ProxyErrorCode; reason: string } {
  switch (reply) {
    case SocksReply.CONNECTION_REFUSED:
      return { code: 'CONNECTION_REFUSED', reason: 'connection refused' };
    case SocksReply.HOST_UNREACHABLE:
      return { code: 'HOST_UNREACHABLE', reason: 'host unreachable' };
    case SocksReply.NETWORK_UNREACHABLE:
      return { code: 'HOST_UNREACHABLE', reason: 'network unreachable' };
    case SocksReply.NOT_ALLOWED:
      return { code: 'UPSTREAM_REFUSED', reason: 'not allowed by the server rules' };
    case SocksReply.GENERAL_FAILURE:
      return { code: 'UPSTREAM_REFUSED', reason: 'general failure' };
    case SocksReply.TTL_EXPIRED:
      return { code: 'UPSTREAM_REFUSED', reason: 'TTL expired' };
    case SocksReply.COMMAND_NOT_SUPPORTED:
      return { code: 'UPSTREAM_REFUSED', reason: 'command not supported' };
    case SocksReply.ADDRESS_TYPE_NOT_SUPPORTED:
      return { code: 'UPSTREAM_REFUSED', reason: 'address type not supported' };
    default:
      return { code: 'UPSTREAM_REFUSED', reason: 'unknown reply' };
  }
}

function formatDestination(d: Destination): string {
  return net.isIPv6(d.host) ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
