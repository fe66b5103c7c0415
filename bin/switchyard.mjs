#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on load so `npx switchyard` works from a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../core/cli.ts');
