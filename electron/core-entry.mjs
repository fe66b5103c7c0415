// The core process entry: the core is TypeScript, run through tsx as bin/switchyard.mjs runs it.
import { register } from 'tsx/esm/api';

register();
await import('./core-process.ts');
