// Light/dark theme on <html data-theme>. "system" follows prefers-color-scheme live.
import { useEffect } from 'react';
import type { SettingsView } from '../../../common/src/api/views.js';

export function useTheme(choice: SettingsView['theme'] | undefined): void {
  useEffect(() => {
    const root = document.documentElement;
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = (): void => {
      const resolved = choice === 'light' || choice === 'dark' ? choice : query.matches ? 'dark' : 'light';
      root.dataset.theme = resolved;
    };
    apply();
    if (choice === 'light' || choice === 'dark') return undefined;
    query.addEventListener('change', apply);
    return () => query.removeEventListener('change', apply);
  }, [choice]);
}
