import { ProxyError } from '../../../adapter/errors.js';
import type { FramedFailure } from '../framed-duplex.js';

/**
 * obfs framing errors. Socket errors pass through untouched so the Shadowsocks layer above still tells a
 * reset before any valid chunk (likely a wrong password) from other failures.
 */
export function obfsFailure(mode: string, reason: FramedFailure): Error {
  switch (reason.kind) {
    case 'socket':
      return reason.error;
    case 'decode':
      return reason.error instanceof ProxyError ? reason.error : new ProxyError('UPSTREAM_PROTOCOL', `obfs ${mode}: ${(reason.error as Error).message}`, { cause: reason.error });
    case 'eof-mid-frame':
      return new ProxyError('UPSTREAM_CLOSED', `obfs ${mode}: server closed the connection in the middle of a record`);
    case 'closed':
      return new ProxyError('UPSTREAM_CLOSED', `obfs ${mode}: connection closed`);
  }
}
