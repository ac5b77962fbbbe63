#!/usr/bin/env node
// `npx klingflow ...`: the CLI is TypeScript, run through tsx like the rest of the project.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
