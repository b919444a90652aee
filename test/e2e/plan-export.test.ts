// "Export scale-out plan" in the Export dialog: the plan file it writes carries the project's sources, the
// model and the chosen selection's rules, and the dialog shows the file and the `winnow cluster run` command.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import { ScalePlan } from '../../main/domain/scale';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { shotPath } from '../fixtures/browser';
import { scenes, writeWebDataset } from '../fixtures/formats';
import { data, engine, home, page, server, useUiProject } from '../fixtures/ui-project';

const rules = [{ id: 'words', kind: 'caption_words' as const, op: '>=' as const, threshold: 3 }];

useUiProject({
  failureShot: 'plan-export-failure.png',
  data: async (dir) => { await writeWebDataset(dir, await scenes(6, 'e2e-plan')); },
  project: { dir: 'proj', title: 'Plan demo' },
  prepare: async () => { await createDispatch(engine)('selection.save', { name: 'long captions', rules }); },
});

describe('Export scale-out plan', () => {
  it('writes the selection as a plan file and shows the file and the cluster run command', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-dialog').waitFor();
    await page.getByTestId('export-selection').selectOption('long captions');
    const output = path.join(home, 'cluster-out');
    await page.getByTestId('plan-output').fill(output);
    await page.getByTestId('plan-export-button').click();
    const file = path.join(home, 'proj', 'plans', 'long_captions.plan.json');
    await expect.poll(() => page.getByTestId('plan-file').textContent().catch(() => null)).toBe(file);
    expect(await page.getByTestId('plan-command').textContent()).toBe(`winnow cluster run ${file} --queue redis://HOST:6379`);
    await page.getByTestId('plan-written').scrollIntoViewIfNeeded();
    await page.screenshot({ path: shotPath('plan-export.png') });

    const plan = ScalePlan.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(plan.sources).toEqual([{ kind: 'webdataset', path: data }]);
    expect(plan.model).toBe(DEFAULT_MODEL);
    expect(plan.rules).toMatchObject(rules);
    expect(plan.output).toBe(output);
    expect(plan.name).toBe('Plan demo');

    // All items: another file, no rules.
    await page.getByTestId('export-selection').selectOption('');
    await page.getByTestId('plan-export-button').click();
    const all = path.join(home, 'proj', 'plans', 'all-items.plan.json');
    await expect.poll(() => page.getByTestId('plan-file').textContent().catch(() => null)).toBe(all);
    expect(ScalePlan.parse(JSON.parse(await readFile(all, 'utf8'))).rules).toEqual([]);
  });
});
