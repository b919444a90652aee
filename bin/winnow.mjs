#!/usr/bin/env node
// The `winnow` command in a checkout: TypeScript sources run through tsx, no build step needed.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');
