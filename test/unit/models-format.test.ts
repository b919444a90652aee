import { describe, expect, it } from 'vitest';
import type { ModelInfoT } from '../../main/api/methods/models';
import { methodSchemas } from '../../main/api/contract';
import { formatModelTable } from '../../main/cli/models';
import { formatBytes, formatJob } from '../../main/cli/progress-bar';

const job = { id: 1, kind: 'model.pull', title: 'Pull clip-vit-base-patch32', state: 'running' as const, done: 175_500_000, total: 351_000_000, ratePerSec: 12_400_000, etaSec: 14, error: null, createdAt: '', updatedAt: '', finishedAt: null };

describe('model pull progress and listings in the terminal', () => {
  it('formats bytes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(351_000_000)).toBe('351 MB');
    expect(formatBytes(1_216_000_000)).toBe('1.2 GB');
  });

  it('shows a pull as bytes, a byte rate and an ETA', () => {
    const line = formatJob(job, 10, 'bytes');
    expect(line).toContain('█████░░░░░');
    expect(line).toContain(' 50%');
    expect(line).toContain('176 MB/351 MB');
    expect(line).toContain('12.4 MB/s');
    expect(line).toContain('ETA 14s');
    expect(formatJob({ ...job, done: 5, total: 10, ratePerSec: 2 }, 10)).toContain('5/10  2.0/s');
  });

  it('lists installed sizes, else approximate download sizes', () => {
    const base: ModelInfoT = { id: 'a', name: 'A', task: 'clip', licence: 'MIT', description: null, builtin: false, installed: false, path: null, repo: 'x/a', defaultDtype: 'fp32', offered: [{ dtype: 'fp32', approxBytes: 605_000_000 }], installedDtypes: [], installedBytes: null, pullJobId: null };
    const table = formatModelTable([base, { ...base, id: 'winnow-clip-mini', builtin: true, installed: true, offered: [], installedDtypes: [{ dtype: 'fp32', bytes: 7_445_630 }] }]);
    expect(table.split('\n')[1]).toMatch(/^a\s+clip\s+MIT\s+—\s+fp32 ~605 MB$/);
    expect(table.split('\n')[2]).toMatch(/^winnow-clip-mini\s+clip\s+MIT\s+built-in\s+fp32 7.4 MB$/);
  });

  it('validates model ids and dtypes before anything reaches the engine', async () => {
    const pull = (await methodSchemas('models.pull')).input;
    expect(pull.safeParse({ id: 'clip-vit-base-patch32', dtype: 'fp16' }).success).toBe(true);
    for (const bad of [{ id: '../x' }, { id: 'A' }, { id: '' }, { id: 'ok', dtype: 'fp16/../x' }, { id: 'ok', extra: true }]) expect(pull.safeParse(bad).success).toBe(false);
    expect((await methodSchemas('models.import')).input.safeParse({ path: '' }).success).toBe(false);
    expect((await methodSchemas('models.remove')).input.safeParse({ id: '.partial' }).success).toBe(false);
  });
});
