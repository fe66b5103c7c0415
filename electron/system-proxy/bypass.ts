/**
 * Hosts that never go through the proxy: loopback, link-local and the private ranges (RFC 1918, RFC 4193
 * unique-local IPv6), and `.local` names. Each desktop spells the list its own way.
 */
export const BYPASS_CIDRS = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '::1', 'fc00::/7', 'fe80::/10'];
export const BYPASS_HOSTS = ['localhost', '*.local'];

/** GNOME's ignore-hosts and KDE's NoProxyFor take CIDR blocks and `*.` patterns. */
export function cidrBypassList(): string[] {
  return [...BYPASS_HOSTS, ...BYPASS_CIDRS];
}

/** macOS networksetup takes CIDR too (its own default list is `*.local, 169.254/16`). */
export function macosBypassList(): string[] {
  return [...BYPASS_HOSTS, ...BYPASS_CIDRS.filter((c) => !c.includes(':'))];
}

/**
 * Windows ProxyOverride: `;`-separated wildcards, no CIDR, so 172.16.0.0/12 becomes 172.16.* … 172.31.*;
 * `<local>` covers names without a dot.
 */
export function windowsBypassList(): string[] {
  const private172 = Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`);
  return ['localhost', '127.*', '10.*', ...private172, '192.168.*', '169.254.*', '[::1]', '*.local', '<local>'];
}
