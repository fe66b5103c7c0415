import { ProxyError } from '../../../adapter/errors.js';
import type { FramedFailure } from '../../common/framed-stream.js';

/**
 * obfs framing errors; undefined for a clean end (`atBoundary`: no record or head partly received). Socket
 * errors pass through untouched so the Shadowsocks layer above still tells a reset before any valid chunk
 * (likely a wrong password) from other failures.
 */
export function obfsFailure(mode: string, reason: FramedFailure, atBoundary: boolean): Error | undefined {
  switch (reason.kind) {
    case 'end':
      return atBoundary ? undefined : new ProxyError('UPSTREAM_CLOSED', `obfs ${mode}: server closed the connection in the middle of a record`);
    case 'socket':
      return reason.error;
    case 'decode':
      return reason.error instanceof ProxyError ? reason.error : new ProxyError('UPSTREAM_PROTOCOL', `obfs ${mode}: ${(reason.error as Error).message}`, { cause: reason.error });
    case 'closed':
      return new ProxyError('UPSTREAM_CLOSED', `obfs ${mode}: connection closed`);
  }
}
