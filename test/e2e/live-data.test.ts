// What the browser shows stays true to the engine: the Duplicates view pages past the contract's 500-group
// limit, and a job that finishes faster than the job list can be fetched is never shown as still running.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { JobT } from '../../main/api/contract';
import { createDispatch } from '../../main/api/handlers';
import { shotPath } from '../fixtures/browser';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { engine, page, server, useUiProject } from '../fixtures/ui-project';

const PAIRS = 530;

useUiProject({
  failureShot: 'live-data-failure.png',
  project: { dir: 'live', title: 'Live data e2e' },
  viewport: { width: 1280, height: 860 },
});

/** A 16×16 PNG of noise that only image `i` has (its index is written into the first pixels). */
function noisePng(i: number): Promise<Buffer> {
  const px = Buffer.alloc(16 * 16 * 3);
  let s = (i + 1) * 2654435761;
  for (let k = 0; k < px.length; k++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[k] = s >>> 24;
  }
  px.writeUInt32BE(i, 0);
  return sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
}

describe('live data in the browser', () => {
  it('shows a fast import as done even when the job list answer was computed while it ran', async () => {
    const folder = await tempDir();
    await makeImageFolder(folder, { count: 17 });
    await page.goto(server.url);
    await page.getByText('No items yet').waitFor();

    // Hold back the job list answer the UI asks for right after the import starts (a slow network):
    // the engine computes it while the import runs, and the page receives it only after the import is done.
    let heldState: JobT['state'] | null = null;
    const held: Promise<void>[] = [];
    await page.route('**/api/call/jobs.list', (route) => {
      held.push((async () => {
        const response = await route.fetch();
        const body = (await response.json()) as { result: JobT[] };
        const importJob = body.result.find((j) => j.kind === 'import');
        heldState ??= importJob?.state ?? null;
        // On a quiet machine 17 images import before the list is even computed: then make the answer
        // exactly what a list computed mid-import says (running, 0 done), which is the race under test.
        if (importJob && importJob.state === 'done') Object.assign(importJob, { state: 'running', done: 0, finishedAt: null, updatedAt: importJob.createdAt });
        await engine.project!.jobs.idle();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await route.fulfill({ response, json: body });
      })());
    });

    await page.fill('input[name=source-path]', folder);
    await page.getByRole('button', { name: 'Import' }).click();
    const importJob = page.locator('[data-testid=job]', { hasText: 'Import' });
    await expect.poll(() => heldState, { timeout: 10_000 }).not.toBeNull();
    await Promise.all(held);
    // A poll may reach the route after the wait above: let its handler finish before the route goes, or its
    // fulfill lands on a request the removal already let through ("Route is already handled").
    await page.unrouteAll({ behavior: 'wait' });
    await Promise.all(held);
    expect(['queued', 'running', 'done']).toContain(heldState);

    await expect.poll(() => importJob.getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
    await expect.poll(() => importJob.locator('.job-meta').innerText()).toContain('17 / 17');
    await expect.poll(() => page.locator('.statusbar').innerText()).toContain('idle');
    // And it stays done: nothing later (counts refresh, the held answer) brings the old state back.
    await page.waitForTimeout(800);
    expect(await importJob.getAttribute('data-state')).toBe('done');
    expect(await page.getByTestId('grid').getAttribute('aria-label')).toBe('17 items');
    await page.screenshot({ path: shotPath('live-01-import-done.png') });
  });

  it(`pages the Duplicates view past 500 groups (${PAIRS} exact pairs)`, async () => {
    const folder = await tempDir();
    const pairOf = new Map<string, number>();
    for (let i = 0; i < PAIRS; i++) {
      const png = await noisePng(i);
      for (const copy of ['a', 'b']) {
        const name = `pair${String(i).padStart(4, '0')}-${copy}.png`;
        writeFileSync(path.join(folder, name), png);
        pairOf.set(name, i);
      }
    }
    await page.goto(server.url);
    await page.fill('input[name=source-path]', folder);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: path.basename(folder) }).waitFor({ timeout: 60_000 });

    await page.getByTestId('nav-filters').click();
    await page.getByTestId('run-stats').click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'statistics' }).waitFor({ timeout: 120_000 });

    await page.getByTestId('nav-duplicates').click();
    await page.getByRole('tab', { name: 'Exact' }).click();
    await expect.poll(() => page.locator('.dups-head h2').innerText(), { timeout: 10_000 }).toContain(`${PAIRS} groups`);

    // Scroll down as a person would until every group is on the page.
    const groups = page.getByTestId('dup-group');
    const list = page.getByTestId('duplicates');
    await list.hover();
    for (let tries = 0; tries < 200 && (await groups.count()) < PAIRS; tries++) await page.mouse.wheel(0, 4000);
    expect(await groups.count()).toBe(PAIRS);
    expect(await page.getByTestId('dup-more').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    // Loading pages did not throw the view back to the top (the first groups are scrolled far away),
    // and a few more turns of the wheel reach the last group.
    expect((await groups.first().boundingBox())!.y).toBeLessThan(-10_000);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 4000);
    await expect.poll(async () => (await groups.last().boundingBox())!.y).toBeLessThan(860);

    // Every group shown is one generated pair, and every pair is shown once.
    const keys = await page.$$eval('[data-testid=dup-group]', (els) => els.map((g) => [...g.querySelectorAll('[data-testid=dup-member] .mono')].map((m) => m.textContent ?? '')));
    const seen = new Set<number>();
    for (const members of keys) {
      expect(members).toHaveLength(2);
      const [p, q] = members.map((k) => pairOf.get(path.basename(k)));
      expect(p).toBeDefined();
      expect(q).toBe(p);
      seen.add(p!);
    }
    expect(seen.size).toBe(PAIRS);
    await page.screenshot({ path: shotPath('live-02-duplicates-past-500.png') });

    // A keeper chosen far past the first page is saved, and the refetched groups show it.
    const last = groups.last();
    const second = last.getByTestId('dup-member').nth(1);
    const id = Number(await second.getAttribute('data-item'));
    await second.dblclick();
    await expect.poll(() => last.locator(`[data-item="${id}"]`).getAttribute('data-keeper'), { timeout: 10_000 }).toBe('true');
    expect(await groups.count()).toBe(PAIRS);
    const stored = await createDispatch(engine)('duplicates.groups', { kind: 'exact', offset: PAIRS - 1, limit: 1 }) as { groups: { members: { id: number; keeper: boolean }[] }[] };
    expect(stored.groups[0].members.find((m) => m.keeper)?.id).toBe(id);
  });

  it('opens every view from the query layer without an error, one screenshot each', async () => {
    // A fresh load (a reload would come back to the Duplicates view the last test left open: URL state).
    await page.goto(server.url);
    const views: [string, string][] = [
      ['nav-filters', 'filters'], ['nav-duplicates', 'duplicates'], ['nav-labels', 'labels-view'], ['nav-review', 'review-view'],
      ['nav-map', 'map-view'], ['nav-issues', 'issues'], ['nav-models', 'models-view'],
    ];
    await page.getByTestId('grid').waitFor();
    await page.screenshot({ path: shotPath('live-03-grid.png') });
    for (const [nav, view] of views) {
      await page.getByTestId(nav).click();
      await page.getByTestId(view).waitFor();
      await page.waitForTimeout(500);
      expect(await page.getByRole('alert').count(), `${view} reported an error`).toBe(0);
      await page.screenshot({ path: shotPath(`live-04-${nav.slice(4)}.png`) });
    }
  });
});
