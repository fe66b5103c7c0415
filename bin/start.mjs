#!/usr/bin/env node
// `npm start`: the desktop app, or the headless core where Electron cannot start (electron/launch.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/launch.ts');
main();
