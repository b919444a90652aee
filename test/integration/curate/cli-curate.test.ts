// `winnow stats` and `winnow select` as a user runs them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDirtyDataset } from '../../../main/synthetic';
import { winnowSync } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';

describe('winnow stats / select', () => {
  it('measures a project, then prints per-rule counts for the defaults, a rules file and a saved name', async () => {
    const home = await tempDir();
    const data = await tempDir();
    await writeDirtyDataset(data, { count: 40, seed: 'cli-curate' });
    const proj = path.join(home, 'p');
    const env = { WINNOW_HOME: home };
    expect(winnowSync(['init', proj], env).code).toBe(0);
    expect(winnowSync(['import', data, '--project', proj], env).code).toBe(0);

    const stats = winnowSync(['stats', '--project', proj, '--json'], env);
    expect(stats.code, stats.stderr).toBe(0);
    const result = JSON.parse(stats.stdout) as { job: { state: string; done: number }; exactGroups: number };
    expect(result.job.state).toBe('done');
    expect(result.job.done).toBeGreaterThan(30);

    const select = winnowSync(['select', '--project', proj, '--json'], env);
    expect(select.code, select.stderr).toBe(0);
    const ev = JSON.parse(select.stdout) as { total: number; kept: number; removed: number; rules: { removedCumulative: number }[] };
    expect(ev.kept + ev.removed).toBe(ev.total);
    expect(ev.rules.reduce((s, r) => s + r.removedCumulative, 0)).toBe(ev.removed);

    const rulesFile = path.join(home, 'rules.json');
    await writeFile(rulesFile, JSON.stringify([{ id: 'small', kind: 'min_side', threshold: 100000 }]));
    const all = winnowSync(['select', '--project', proj, '--rules', rulesFile], env);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^0 kept, ${ev.total} removed of ${ev.total}`));
    expect(all.stdout).toMatch(/small\s+\d+\s+\d+/);

    const missing = winnowSync(['select', '--project', proj, '--name', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no selection named "nope"/);
  });
});
