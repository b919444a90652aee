// `npm run bench:scroll`: grid scroll frame times in a real browser (headless Chromium via playwright-core, the
// same server as `winnow serve`) on a 1,000-item and a 1,000,000-item project (bench/lib/ui-project.ts: synthetic
// items pointing at 256 real JPEGs, so thumbnails decode for real). For each size the grid scrolls 120 px a frame
// for FRAMES frames at the top, the middle and near the end of the list, and the requestAnimationFrame deltas are
// recorded: p50 / p95 / max, dropped frames (a delta over 1.5 refresh intervals counts the intervals it missed),
// long tasks (PerformanceObserver), and the API calls the scrolling made. Also: the grid's scroll height and whether
// the last item can be scrolled to (browsers cap an element's height near 33.5 M px).
// Sizes run interleaved, ROUNDS times, each in a fresh engine, server and page. Headless Chromium renders in
// software (--disable-gpu), so absolute times are pessimistic: compare the two sizes, measured in the same run.
// Env: BENCH_SIZES (1000,1000000), BENCH_ROUNDS (3), BENCH_FRAMES (140: three runs fit apart in 1,000 items), WINNOW_BENCH_DIR (project cache),
// WINNOW_STATIC_DIR (another renderer build, for before/after).
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Engine } from '../main/engine/engine';
import { startServer } from '../main/server/server';
import { launchChromium } from '../test/fixtures/browser';
import { log } from './lib/synthetic-project';
import { scrollFrames, uiProject } from './lib/ui-project';

const SIZES = (process.env.BENCH_SIZES ?? '1000,1000000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 140);
const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const STEP = 120;
/** Where the runs start, as a fraction of the range left after one run: top, middle, end. */
const POSITIONS = [0, 0.5, 1];

const quantile = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))];

interface Run { deltas: number[]; longTasks: number; longTaskMs: number; apiCalls: number; scrollHeight: number; lastReachable: boolean; refresh: number }

/** Scrolls until the tiles in view show their items (captions), or 20 s pass. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=tile] .caption')].some((c) => (c.textContent ?? '').length > 0 && c.getBoundingClientRect().top > 0), null, { timeout: 20_000 });
}

async function measure(dir: string, size: number): Promise<Run> {
  const engine = new Engine('browser');
  await engine.openProject(dir, { resume: false });
  const server = await startServer({ engine, staticDir: process.env.WINNOW_STATIC_DIR });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (err) => log(`page error: ${err.message}`));
    await page.addInitScript('globalThis.__name = (f) => f');
    let apiCalls = 0;
    let counting = false;
    page.on('request', (r) => { if (counting && r.url().includes('/api/')) apiCalls++; });
    await page.goto(server.url);
    await page.locator('[data-testid=tile] img').first().waitFor({ timeout: 60_000 });
    // The display's refresh interval: rAF deltas of an idle page.
    const idle = await page.evaluate(async () => {
      const t: number[] = [];
      for (let i = 0; i < 30; i++) t.push(await new Promise<number>((r) => requestAnimationFrame(r)));
      return t.slice(1).map((x, i) => x - t[i]).sort((a, b) => a - b)[14];
    });
    await page.evaluate(() => {
      const w = window as unknown as { __long: { n: number; ms: number } };
      w.__long = { n: 0, ms: 0 };
      new PerformanceObserver((list) => { for (const e of list.getEntries()) { w.__long.n++; w.__long.ms += e.duration; } }).observe({ type: 'longtask' });
    });
    const deltas: number[] = [];
    let long = { n: 0, ms: 0 };
    for (const at of POSITIONS) {
      // Each run scrolls rows no other run has shown (when the list is long enough), so a short list does not
      // win by finding its pages and thumbnails already loaded. Row pixels → the element's (scaled) pixels.
      await page.evaluate(({ at, run }) => {
        const el = document.querySelector<HTMLElement>('[data-testid=grid]')!;
        const scale = Number(el.getAttribute('data-scroll-scale') ?? 1);
        const max = el.scrollHeight - el.clientHeight;
        el.scrollTop = Math.max(0, (max - run / scale) * at);
      }, { at, run: (FRAMES + 10) * STEP });
      await settle(page);
      await scrollFrames(page, 10, STEP); // warm-up: the rows just below come into the DOM
      const before = await page.evaluate(() => ({ ...(window as unknown as { __long: { n: number; ms: number } }).__long }));
      counting = true;
      deltas.push(...(await scrollFrames(page, FRAMES, STEP)));
      counting = false;
      const after = await page.evaluate(() => ({ ...(window as unknown as { __long: { n: number; ms: number } }).__long }));
      long = { n: long.n + after.n - before.n, ms: long.ms + after.ms - before.ms };
    }
    // The end of the list: the last tile's index once scrolled to the bottom.
    const end = await page.evaluate(async () => {
      const el = document.querySelector<HTMLElement>('[data-testid=grid]')!;
      el.scrollTop = el.scrollHeight;
      for (let i = 0; i < 10; i++) await new Promise((r) => requestAnimationFrame(r));
      const last = Math.max(...[...document.querySelectorAll('[data-testid=tile]')].map((t) => Number(t.getAttribute('data-index') ?? -1)));
      return { scrollHeight: el.scrollHeight, last };
    });
    return { deltas, longTasks: long.n, longTaskMs: long.ms, apiCalls, scrollHeight: end.scrollHeight, lastReachable: end.last === size - 1, refresh: idle };
  } finally {
    await browser.close();
    await server.close();
    await engine.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const dirs: string[] = [];
  for (const size of SIZES) dirs.push(await uiProject(CACHE, size));
  process.env.WINNOW_HOME = path.join(CACHE, 'scroll-home');
  const runs: Run[][] = SIZES.map(() => []);
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, size] of SIZES.entries()) {
      rmSync(path.join(dirs[k], 'thumbs'), { recursive: true, force: true }); // every run starts without thumbnails
      runs[k].push(await measure(dirs[k], size));
      loads.push(os.loadavg()[0].toFixed(1));
    }
    log(`round ${round + 1}/${ROUNDS} done (load ${loads.slice(-SIZES.length).join(', ')})`);
  }
  const summary = runs.map((list) => {
    const deltas = list.flatMap((r) => r.deltas);
    const refresh = quantile(list.map((r) => r.refresh), 0.5);
    const dropped = deltas.reduce((n, d) => n + (d > 1.5 * refresh ? Math.round(d / refresh) - 1 : 0), 0);
    return {
      p50: quantile(deltas, 0.5), p95: quantile(deltas, 0.95), max: Math.max(...deltas), refresh,
      droppedPct: (100 * dropped) / (dropped + deltas.length),
      longTasks: list.reduce((n, r) => n + r.longTasks, 0) / list.length, longTaskMs: list.reduce((n, r) => n + r.longTaskMs, 0) / list.length,
      apiPer100: (100 * list.reduce((n, r) => n + r.apiCalls, 0)) / deltas.length,
      scrollHeight: list[0].scrollHeight, lastReachable: list.every((r) => r.lastReachable),
    };
  });
  const [small, big] = [summary[0], summary.at(-1)!];
  const label = (n: number) => n.toLocaleString('en');
  console.log(`\nGrid scroll in headless Chromium (software rendering; ${os.cpus().length} cores; ${ROUNDS} interleaved rounds × ${POSITIONS.length} positions × ${FRAMES} frames at ${STEP} px/frame; 1-min load average after each run ${loads.join(', ')})\n`);
  console.log(`| measure | ${label(SIZES[0])} items | ${label(SIZES.at(-1)!)} items | ratio |`);
  console.log('| --- | ---: | ---: | ---: |');
  const row = (name: string, a: number, b: number, digits = 1) => console.log(`| ${name} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${a > 0 ? `${(b / a).toFixed(2)}×` : 'n/a'} |`);
  row('frame time p50 (ms)', small.p50, big.p50);
  row('frame time p95 (ms)', small.p95, big.p95);
  row('frame time max (ms)', small.max, big.max);
  row('dropped frames (% of refresh intervals)', small.droppedPct, big.droppedPct);
  row('long tasks per run (count)', small.longTasks, big.longTasks);
  row('long tasks per run (total ms)', small.longTaskMs, big.longTaskMs);
  row('API calls per 100 frames', small.apiPer100, big.apiPer100);
  row('refresh interval of an idle page (ms)', small.refresh, big.refresh);
  row('grid scroll height (px)', small.scrollHeight, big.scrollHeight, 0);
  console.log(`| last item reachable by scrolling | ${small.lastReachable ? 'yes' : 'no'} | ${big.lastReachable ? 'yes' : 'no'} | |`);
}

await main();
