/** The pages, by the fragment that shows them (`#/servers`). */
export const PAGES = ['overview', 'servers', 'pools', 'subscriptions', 'connections', 'apps', 'logs', 'settings', 'tray'] as const;
export type Page = (typeof PAGES)[number];

export const route = $state({ page: 'overview' as Page | 'unknown', path: '/' });

function read(): void {
  const path = window.location.hash.replace(/^#/, '').split('?')[0] || '/';
  route.path = path;
  const name = path.replace(/^\/+/, '').split('/')[0] || 'overview';
  route.page = (PAGES as readonly string[]).includes(name) ? (name as Page) : 'unknown';
}

/** Follows the fragment from now on; returns the function that stops following it. */
export function startRouter(): () => void {
  read();
  window.addEventListener('hashchange', read);
  return () => window.removeEventListener('hashchange', read);
}

export const hrefOf = (page: Page): string => `#/${page}`;
