#!/usr/bin/env node
// Herald runs its TypeScript through tsx: no build step, and channels.config.ts loads the same way.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
