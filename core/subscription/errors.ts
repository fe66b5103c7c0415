/**
 * Errors from reading share links and subscription bodies. Callers match on `code`, never on the text;
 * the text names the part that was wrong and never repeats a password or uuid.
 */
export type SubscriptionErrorCode =
  | 'BAD_LINK' // one share link could not be read
  | 'BAD_ENTRY' // one entry of a Clash YAML or SIP008 body could not be read
  | 'EMPTY_SUBSCRIPTION' // nothing in the body (0 bytes, whitespace, a base64 body with no links)
  | 'UNRECOGNISED_SUBSCRIPTION' // a body in none of the formats we read (an HTML page, random text)
  | 'UNEXPORTABLE_PROXY'; // a proxy the chosen export format cannot express

/** One bad line or entry of a body; `message` starts with where it is (`line 3: ...`). */
export interface SubscriptionIssue {
  code: 'BAD_LINK' | 'BAD_ENTRY';
  message: string;
  /** 1-based line in the body (in the decoded text for a base64 body). */
  line?: number;
  /** 0-based index in the body's list (`proxies:` or `servers`). */
  entry?: number;
}

export class SubscriptionError extends Error {
  override readonly name: string = 'SubscriptionError';
  constructor(
    readonly code: SubscriptionErrorCode,
    message: string,
    /** For a body with no usable server: what was wrong with each line or entry. */
    readonly issues: readonly SubscriptionIssue[] = [],
  ) {
    super(message);
  }
}

/** A malformed share link: `vmess link: field "port": expected an integer 1-65535, got "abc"`. */
export class BadLinkError extends SubscriptionError {
  override readonly name = 'BadLinkError';
  declare readonly code: 'BAD_LINK';
  constructor(
    readonly scheme: string,
    /** The message without the `<scheme> link: ` prefix, for callers that say where it came from. */
    readonly detail: string,
  ) {
    super('BAD_LINK', `${scheme} link: ${detail}`);
  }
}

/**
 * Internal signal: the link is well formed but asks for something we do not implement (a transport,
 * a plugin, a protocol). The link is then kept, marked unsupported, instead of being dropped.
 */
export class UnsupportedFeature extends Error {
  constructor(
    readonly reason: string,
    readonly proxyName?: string,
  ) {
    super(reason);
  }
}

/** Runs `read`, giving any UnsupportedFeature it throws the proxy's name, so the kept entry is labelled. */
export function labelUnsupported<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnsupportedFeature && e.proxyName === undefined) throw new UnsupportedFeature(e.reason, name);
    throw e;
  }
}
