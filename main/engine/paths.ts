import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, models/ and dist/ (a checkout, or the packaged app's resources). */
export const APP_ROOT = process.env.WINNOW_APP_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
