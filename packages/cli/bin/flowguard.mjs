#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader, in this process (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
