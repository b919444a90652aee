// sharp (libvips) takes ~0.1–0.2 s to load: this stand-in loads it on first use, so commands that never
// touch pixels (search, select, status) start without it. Use it exactly like sharp's default export.
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

export type { Sharp } from 'sharp';

const require = createRequire(import.meta.url);
let loaded: typeof SharpModule | undefined;
const load = (): typeof SharpModule => (loaded ??= require('sharp') as typeof SharpModule);

const sharp = new Proxy(function lazySharp() {} as unknown as typeof SharpModule, {
  apply: (_target, thisArg, args) => Reflect.apply(load(), thisArg, args),
  get: (_target, prop) => Reflect.get(load(), prop),
});

export default sharp;
