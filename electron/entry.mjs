// The Electron main entry (`electron electron/entry.mjs`, and `main` in the packaged app): main.ts is
// TypeScript, run through tsx as bin/switchyard.mjs runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
