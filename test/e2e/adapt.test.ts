// "Adapt from reviews" in browser mode: zero-shot labels, reviews through the API with the generator's
// ground truth, the Labels view's adapt button runs the job and charts the cross-validated accuracy over
// review prefixes (first 10, then all reviews, in review order), the Review view's "most useful" order puts the adapted classifier's lowest-margin item
// first, and distilling writes the model folder.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import { generateScenes, type GeneratedScene, loadVocabulary } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { tempDir } from '../fixtures/images';
import { engine, page, project, server, useUiProject, writeScenes } from '../fixtures/ui-project';

const vocab = loadVocabulary();
const classNames = Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((s) => `${c} ${s}`));
let scenes: GeneratedScene[];

useUiProject({
  failureShot: 'adapt-failure.png',
  data: async (dir) => {
    scenes = await generateScenes(40, { seed: 'adapt-e2e', width: 96, height: 96, objects: [{ size: 'large' }, { size: 'small' }] });
    await writeScenes(dir, scenes);
  },
  project: { dir: 'adapt-e2e', title: 'Adapt e2e' },
  prepare: async () => {
    const dispatch = createDispatch(engine);
    const { jobId } = (await dispatch('labels.run', { classes: classNames.map((name) => ({ name })), k: 3, threshold: 0.3 })) as { jobId: number };
    await project.jobs.wait(jobId);
    // Review the first 16 items: accept a right top-1, relabel a wrong one to the truth.
    for (const item of project.items.page(0, 16)) {
      const o = scenes[Number(/(\d+)/.exec(item.key)![1])].objects[0];
      const truth = `${o.color} ${o.shape}`;
      const top = project.annotations.forItem(item.id).find((a) => a.kind === 'label' && a.params?.rank === 1)!;
      if (top.label === truth) await dispatch('review.decide', { ids: [top.id], state: 'accepted' });
      else await dispatch('review.relabel', { id: top.id, label: truth });
    }
  },
  timeout: 120_000,
});

describe('Adapt from reviews', () => {
  it('adapts from the Labels view and charts the estimated accuracy', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('adapt-panel').waitFor();
    await page.getByTestId('run-adapt').click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Adapt labels from reviews' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('adapt-latest').innerText(), { timeout: 20_000 }).toMatch(/from 16 reviews: estimated accuracy \d+\.\d%/);
    await expect.poll(() => page.getByTestId('adapt-latest').innerText()).toContain('24 items relabelled');
    // The curve over review prefixes: after the first 10 reviews, after all 16.
    const titles = () => page.locator('[data-testid=adapt-chart] [data-testid=series-adapted] circle title').allTextContents();
    await expect.poll(titles).toEqual([expect.stringMatching(/^adapted: \d+\.\d% after 10 reviews$/), expect.stringMatching(/^adapted: \d+\.\d% after 16 reviews$/)]);
    await expect.poll(() => page.locator('[data-testid=adapt-chart] [data-testid=series-zero-shot] circle').count()).toBe(2);
    const latestPct = /estimated accuracy (\d+\.\d%)/.exec(await page.getByTestId('adapt-latest').innerText())![1];
    expect((await titles())[1]).toContain(latestPct);
    // Real axes: review ticks along the bottom and the axis titles.
    expect(await page.locator('[data-testid=adapt-chart] [data-testid=x-tick]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('adapt-chart').innerHTML()).toContain('estimated accuracy');
    await page.getByTestId('adapt-panel').screenshot({ path: shotPath('16-adapt-curve-01-sixteen-reviews.png') });
    // The counts now show the adapted run.
    await expect.poll(() => page.getByTestId('label-counts').innerText()).toContain('adapted');
    // A second adaptation after more reviews charts its own curve, up to 20 reviews.
    const dispatch = createDispatch(engine);
    const open = project.db.prepare(`SELECT id FROM annotations WHERE kind = 'label' AND state = 'proposed' AND json_extract(params, '$.rank') = 1 ORDER BY item_id LIMIT 4`).pluck().all() as number[];
    await dispatch('review.decide', { ids: open, state: 'accepted' });
    await page.getByTestId('run-adapt').click();
    await expect.poll(async () => (await titles()).at(-1) ?? '', { timeout: 120_000 }).toMatch(/after 20 reviews$/);
    await expect.poll(() => page.getByTestId('adapt-latest').innerText()).toContain('from 20 reviews');
    expect((await titles()).length).toBe(2);
    await page.getByTestId('adapt-panel').screenshot({ path: shotPath('16-adapt-curve-02-twenty-reviews.png') });
    await page.getByTestId('adapt-panel').screenshot({ path: shotPath('adapt-01-panel.png') });

    const out = path.join(await tempDir(), 'distilled');
    await page.fill('input[name=distill-out]', out);
    await page.getByTestId('distill').click();
    await page.getByTestId('distilled').waitFor();
    expect(existsSync(path.join(out, 'head.onnx'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'winnow-head.json'), 'utf8'))).toMatchObject({ trainingSize: 20, classes: classNames });

    // Loaded back: labelling with the distilled head reproduces the adapted labels.
    const rank1 = () => project.db.prepare(`SELECT item_id, label FROM annotations WHERE kind = 'label' AND state = 'proposed' AND json_extract(params, '$.run') = 'adapted' AND json_extract(params, '$.rank') = 1 ORDER BY item_id`).all();
    const before = rank1();
    await page.fill('input[name=head-folder]', out);
    await page.getByTestId('label-with-head').click();
    await expect.poll(() => page.getByTestId('adapt-latest').innerText(), { timeout: 60_000 }).toContain('Labelled with a distilled head');
    expect(rank1()).toEqual(before);
    await page.getByTestId('adapt-panel').screenshot({ path: shotPath('adapt-03-head.png') });

    // Added through the Models view like any model folder: listed with its card, then chosen by id for labelling.
    await page.getByTestId('nav-models').click();
    await page.getByTestId('models-view').waitFor();
    await page.fill('input[name=model-path]', out);
    await page.fill('input[name=model-id]', 'e2e-head');
    await page.locator('form.import-form button[type=submit]').click();
    const row = page.locator('[data-testid=model-row][data-model=e2e-head]');
    await expect.poll(() => row.getByTestId('head-card').innerText().catch(() => ''), { timeout: 30_000 }).toMatch(/64 classes .*trained on 20 reviews · accuracy \d+\.\d% .*reads winnow-clip-mini embeddings \(\d+-d\)/);
    expect(await row.innerText()).toContain('classifier head');
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: shotPath('16-head-model-01-models-view.png') });
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('adapt-panel').waitFor();
    await expect.poll(() => page.locator('select[name=installed-head] option').allTextContents(), { timeout: 20_000 }).toContain('e2e-head (64 classes, 20 reviews, winnow-clip-mini)');
    await page.selectOption('select[name=installed-head]', 'e2e-head');
    const reports = () => project.db.prepare(`SELECT count(*) FROM meta WHERE key LIKE 'adapt.report.%'`).pluck().get() as number;
    const reportsBefore = reports();
    await page.getByTestId('label-with-head').click();
    await expect.poll(reports, { timeout: 60_000 }).toBe(reportsBefore + 1);
    await expect.poll(() => page.getByTestId('adapt-latest').innerText(), { timeout: 30_000 }).toContain('Labelled with a distilled head');
    expect(rank1()).toEqual(before);
    await page.getByTestId('adapt-panel').screenshot({ path: shotPath('16-head-model-02-label-with-installed.png') });
  });

  it('orders the review queue by usefulness to the adapted classifier', async () => {
    const dispatch = createDispatch(engine);
    const useful = (await dispatch('adapt.queue', { strategy: 'margin', limit: 5 })) as { itemId: number }[];
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-view').waitFor();
    await page.selectOption('select[name=review-kinds]', 'label');
    await page.selectOption('select[name=review-order]', 'margin');
    // The item shown first is the adapted classifier's lowest-margin one (the image URL names the item).
    await expect.poll(() => page.locator('[data-testid=review-view] img').first().getAttribute('src'), { timeout: 20_000 }).toMatch(new RegExp(`/${useful[0].itemId}$`));
    await page.screenshot({ path: shotPath('adapt-02-review-order.png') });
  });

  it('runs detection that learns from reviewed boxes (region cache) from the Review view', async () => {
    const dispatch = createDispatch(engine);
    const queries = ['red circle', 'blue square', 'green triangle', 'yellow star'];
    const { jobId } = (await dispatch('detect.run', { queries, segment: false })) as { jobId: number };
    await project.jobs.wait(jobId);
    // Review the proposals: accept the first half of each label's, reject the rest (both kinds are needed to learn).
    const ids = project.db.prepare(`SELECT id FROM annotations WHERE kind = 'box' AND state = 'proposed' ORDER BY label, id`).pluck().all() as number[];
    expect(ids.length).toBeGreaterThan(3);
    await dispatch('review.decide', { ids: ids.filter((_, i) => i % 2 === 0), state: 'accepted' });
    await dispatch('review.decide', { ids: ids.filter((_, i) => i % 2 === 1), state: 'rejected' });
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-view').waitFor();
    await page.fill('textarea[name=queries]', queries.join(', '));
    await page.getByTestId('run-detection').locator('input[name=region-cache]').check();
    await page.getByTestId('run-detection').screenshot({ path: shotPath('16-region-cache-01-run-detection.png') });
    await page.getByTestId('run-detection').getByRole('button', { name: 'Detect' }).click();
    const latest = () => project.runs.list().filter((r) => r.kind === 'detect.run').at(-1)!;
    await expect.poll(() => latest().jobId, { timeout: 60_000 }).not.toBe(jobId);
    await expect.poll(() => project.jobs.get(latest().jobId!)?.state, { timeout: 120_000 }).toBe('done');
    expect(latest().params).toMatchObject({ regionCache: { examples: ids.length } });
  });
});
