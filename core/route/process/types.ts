import type { Endpoint } from '../../adapter/outbound.js';
import type { ProcessInfo } from '../match-input.js';

/**
 * Finds the local program behind a client connection: the one holding the socket whose local end is
 * `client` (the source the inbound saw) and whose remote port is `serverPort` (our listening port).
 * Undefined when the client is not on this machine or the platform will not say.
 */
export interface ProcessLookup {
  /**
   * `serverAddress`: our end's address on this connection (the accepted socket's local address), when the
   * caller knows it; with it Linux can ask the kernel for the exact socket instead of searching for it.
   */
  lookup(client: Endpoint, serverPort: number, serverAddress?: string): Promise<ProcessInfo | undefined>;
  /** The connection from `client` has ended: its socket is probably closed, its descriptor free for reuse. */
  forget?(client: Endpoint): void;
}

export type { ProcessInfo };

/** Runs a command and returns its stdout; rejects when it fails or takes too long. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;
