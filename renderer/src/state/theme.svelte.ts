export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'switchyard.theme';

/** Light or dark, remembered in this browser; `system` follows the OS. */
export const theme = $state({ choice: 'system' as ThemeChoice, effective: 'light' as 'light' | 'dark' });

let media: MediaQueryList | undefined;

function apply(): void {
  const dark = theme.choice === 'dark' || (theme.choice === 'system' && (media?.matches ?? false));
  theme.effective = dark ? 'dark' : 'light';
  document.documentElement.dataset.theme = theme.effective;
}

export function initTheme(): void {
  const stored = localStorage.getItem(KEY);
  theme.choice = stored === 'light' || stored === 'dark' ? stored : 'system';
  media = window.matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', apply);
  apply();
}

export function setTheme(choice: ThemeChoice): void {
  theme.choice = choice;
  localStorage.setItem(KEY, choice);
  apply();
}
