/** A probe asked for an outbound (or a pool) the engine does not have; the API answers 404 on this code. */
export class UnknownProbeTargetError extends Error {
  override readonly name = 'UnknownProbeTargetError';
  readonly code: 'UNKNOWN_OUTBOUND' | 'UNKNOWN_POOL';
  constructor(
    readonly kind: 'outbound' | 'pool',
    readonly target: string,
  ) {
    super(`no ${kind} named ${JSON.stringify(target)}`);
    this.code = kind === 'pool' ? 'UNKNOWN_POOL' : 'UNKNOWN_OUTBOUND';
  }
}

/** Codes a failed probe reports besides the ProxyError codes of the dial (TIMEOUT, CONNECTION_REFUSED...). */
export type ProbeFailureCode =
  | 'UNEXPECTED_STATUS' // the test URL answered, but not with an expected status
  | 'NO_ENDPOINT' // TCP ping of an outbound with no server:port (a pool, DIRECT)
  | 'BAD_URL'; // the test URL is not an http(s) URL

/** A probe that ran and failed for a reason of its own (not a dial error). */
export class ProbeFailure extends Error {
  override readonly name = 'ProbeFailure';
  constructor(
    readonly code: ProbeFailureCode,
    message: string,
  ) {
    super(message);
  }
}
