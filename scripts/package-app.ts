// Packages installers (AppImage + deb, dmg, nsis) with electron-builder from electron.config.ts.
import { build } from 'electron-builder';
import { packaging } from '../electron.config';
import { buildApp } from './build-app';

await buildApp();
await build({ config: { ...packaging } as never });
