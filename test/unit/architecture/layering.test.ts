// The layering rule (.dependency-cruiser.cjs) must fail on a wrong-way import. Each case plants one
// import in a scratch tree with the repository's layout and runs the real depcruise binary over it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../../..');
const depcruise = path.join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'winnow-layers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function plant(name: string, files: Record<string, string>): { ok: boolean; output: string } {
  const root = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  copyFileSync(path.join(repo, '.dependency-cruiser.cjs'), path.join(root, '.dependency-cruiser.cjs'));
  copyFileSync(path.join(repo, 'tsconfig.json'), path.join(root, 'tsconfig.json'));
  for (const dir of ['main', 'renderer', 'node_modules']) mkdirSync(path.join(root, dir), { recursive: true });
  try {
    const output = execFileSync(process.execPath, [depcruise, 'main', 'renderer', '--config', '.dependency-cruiser.cjs', '--no-progress'], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_PATH: path.join(repo, 'node_modules') },
    });
    return { ok: true, output };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const contract = { 'main/api/contract.ts': `export type MethodName = 'app.info';\n` };

describe('layering rule', () => {
  it('passes a tree whose imports point the right way', () => {
    const r = plant('legal', {
      ...contract,
      'main/domain/errors.ts': `export class ApiError extends Error {}\n`,
      'main/engine/engine.ts': `import { ApiError } from '../domain/errors';\nexport const e = new ApiError();\n`,
      'main/api/handlers.ts': `import { e } from '../engine/engine';\nimport type { MethodName } from './contract';\nexport const h: [typeof e, MethodName | null] = [e, null];\n`,
    });
    expect(r.output).toContain('no dependency violations');
    expect(r.ok).toBe(true);
  });

  it.each([
    ['engine → api (type-only import)', 'engine-points-down', { ...contract, 'main/engine/x.ts': `import type { MethodName } from '../api/contract';\nexport type X = MethodName;\n` }],
    ['engine → synthetic generator', 'engine-points-down', { 'main/synthetic/rle.ts': `export const r = 1;\n`, 'main/engine/x.ts': `import { r } from '../synthetic/rle';\nexport const x = r;\n` }],
    ['engine → electron', 'engine-never-imports-electron', { 'node_modules/electron/package.json': `{"name":"electron","main":"index.js"}`, 'node_modules/electron/index.js': `module.exports = {};\n`, 'main/engine/x.ts': `import electron from 'electron';\nexport const x = electron;\n` }],
    ['domain → engine', 'domain-is-pure', { 'main/engine/store.ts': `export const s = 1;\n`, 'main/domain/x.ts': `import { s } from '../engine/store';\nexport const x = s;\n` }],
    ['domain → node:fs (I/O)', 'domain-is-pure', { 'main/domain/x.ts': `import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n` }],
    ['renderer → engine', 'renderer-through-the-contract', { 'main/engine/store.ts': `export const s = 1;\n`, 'renderer/src/x.ts': `import { s } from '../../main/engine/store';\nexport const x = s;\n` }],
    ['api → server', 'api-below-transports', { 'main/server/server.ts': `export const s = 1;\n`, 'main/api/x.ts': `import { s } from '../server/server';\nexport const x = s;\n` }],
  ])('fails on a planted wrong-way import: %s', (name, rule, files) => {
    const r = plant(name.replace(/\W+/g, '-'), files as Record<string, string>);
    expect(r.ok).toBe(false);
    expect(r.output).toContain(rule);
  });
});
