/** Where the system proxy points: the core's mixed port (SOCKS5 + HTTP on one port). */
export interface ProxyEndpoint {
  host: string;
  port: number;
}

/**
 * One desktop's way of setting the system proxy. `read()` captures everything `apply()` changes, as plain
 * JSON, so `restore()` can put it back exactly — in this run or, after a crash, in the next one.
 */
export interface SystemProxyBackend<Saved = unknown> {
  /** gnome, kde, macos, windows */
  readonly name: string;
  read(): Promise<Saved>;
  apply(endpoint: ProxyEndpoint, bypass: readonly string[]): Promise<void>;
  restore(saved: Saved): Promise<void>;
}

/** Runs a program without a shell; rejects with its stderr when it fails. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;
