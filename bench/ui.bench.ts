// `npm run bench:ui`: what a curator feels in the browser on a 100,000-item project (built straight into
// SQLite like bench:million, with 256 real JPEGs the items point at so thumbnails and the review image decode
// for real), served by the same server as `winnow serve` and driven in headless Chromium (playwright-core):
//   grid scroll: requestAnimationFrame deltas while the grid scrolls 120 px a frame (p50 / p95 / max, ms);
//   filter recount: Enter in a rule's threshold field → the kept count on screen changes (ms, median);
//   review key: `j` pressed → the next item's label and decoded image painted (next frame after; ms, median).
// Headless Chromium renders in software (--disable-gpu), so absolute frame times are pessimistic; compare runs.
// Env: BENCH_ITEMS (default 100000), BENCH_REPEATS (15), WINNOW_BENCH_DIR (project cache), WINNOW_STATIC_DIR (renderer build).
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Engine } from '../main/engine/engine';
import { startServer } from '../main/server/server';
import { launchChromium } from '../test/fixtures/browser';
import { scrollFrames, uiProject } from './lib/ui-project';
import { log } from './lib/synthetic-project';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');

const quantile = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))];

/** Arms a probe: t0 at the next keydown (capture phase), t1 at the first frame where `done()` holds. */
async function armProbe(page: Page, done: string): Promise<void> {
  await page.evaluate((done) => {
    const w = window as unknown as { __probe: { t0: number | null; t1: number | null } };
    w.__probe = { t0: null, t1: null };
    const check = new Function(`return (${done})();`) as () => boolean;
    const onKey = () => {
      window.removeEventListener('keydown', onKey, true);
      w.__probe.t0 = performance.now();
      const tick = () => (check() ? (w.__probe.t1 = performance.now()) : requestAnimationFrame(tick));
      requestAnimationFrame(tick);
    };
    window.addEventListener('keydown', onKey, true);
  }, done);
}

async function probeResult(page: Page): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { __probe: { t1: number | null } }).__probe.t1 !== null, null, { timeout: 60_000 });
  return page.evaluate(() => { const p = (window as unknown as { __probe: { t0: number; t1: number } }).__probe; return p.t1 - p.t0; });
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const dir = await uiProject(CACHE, ITEMS);
  // Thumbnails are made on first request: start every run from none, so runs compare.
  rmSync(path.join(dir, 'thumbs'), { recursive: true, force: true });
  process.env.WINNOW_HOME = path.join(CACHE, 'ui-home');
  const engine = new Engine('browser');
  await engine.openProject(dir, { resume: false });
  // WINNOW_STATIC_DIR: another renderer build (e.g. the base commit's) against the same server, for before/after.
  const server = await startServer({ engine, staticDir: process.env.WINNOW_STATIC_DIR });
  const browser = await launchChromium();
  const out: [string, string][] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (err) => log(`page error: ${err.message}`));
    // tsx compiles with keepNames: functions passed to page.evaluate call its __name helper.
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.goto(server.url);
    await page.locator('[data-testid=tile] img').first().waitFor({ timeout: 60_000 });

    // Grid: a warm-up pass, then the measured one (thumbnails arrive while it scrolls, as for a person).
    await scrollFrames(page, 30, 120);
    const deltas = (await scrollFrames(page, 400, 120)).slice(5);
    out.push(['grid scroll frame time p50 / p95 / max (ms)', `${quantile(deltas, 0.5).toFixed(1)} / ${quantile(deltas, 0.95).toFixed(1)} / ${Math.max(...deltas).toFixed(1)}`]);
    // Jumps to five far-apart positions: until those rows' tiles have their items (captions) on screen.
    const jumps: number[] = [];
    for (const at of [0.5, 0.1, 0.9, 0.3, 0.7]) {
      jumps.push(await page.evaluate(async (at) => {
        const el = document.querySelector<HTMLElement>('[data-testid=grid]')!;
        const t0 = performance.now();
        el.scrollTop = el.scrollHeight * at;
        const first = () => Number(document.querySelector('[data-testid=tile]')?.getAttribute('data-index') ?? 0);
        const total = Number(el.getAttribute('aria-label')?.split(' ')[0] ?? 1);
        while (!(Math.abs(first() / total - at) < 0.01 && [...document.querySelectorAll('[data-testid=tile] .caption')].some((c) => (c.textContent ?? '').length > 0 && c.getBoundingClientRect().top > 0))) {
          await new Promise((r) => requestAnimationFrame(r));
        }
        return performance.now() - t0;
      }, at));
    }
    const jump = quantile(jumps, 0.5);
    out.push(['grid jump to a far row → its captions painted (ms, median of 5 / max)', `${jump.toFixed(1)} / ${Math.max(...jumps).toFixed(1)}`]);

    // Filters: type a threshold, Enter, wait for the kept count to change.
    await page.getByTestId('nav-filters').click();
    const kept = page.getByTestId('kept-count').locator('b');
    await page.waitForFunction(() => document.querySelector('[data-testid=kept-count] b')?.textContent !== '0');
    const recounts: number[] = [];
    for (let r = 0; r < Math.min(REPEATS, 10); r++) {
      const before = await kept.innerText();
      const field = page.getByLabel('caption_words threshold');
      await field.click();
      await field.fill(String(4 + (r % 8)));
      await armProbe(page, `() => document.querySelector('[data-testid=kept-count] b')?.textContent !== ${JSON.stringify(before)}`);
      await page.keyboard.press('Enter');
      recounts.push(await probeResult(page));
      await page.waitForTimeout(200);
    }
    out.push(['filter recount: threshold Enter → kept count updated (ms, median / max)', `${quantile(recounts, 0.5).toFixed(1)} / ${Math.max(...recounts).toFixed(1)}`]);

    // Review: j → next item's label and image on screen.
    await page.getByTestId('nav-review').click();
    await page.waitForFunction(() => { const img = document.querySelector<HTMLImageElement>('[data-testid=review-view] img'); return !!img && img.complete && img.naturalWidth > 0; }, null, { timeout: 60_000 });
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const keys: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const { label, src } = await page.evaluate(() => ({
        label: [...document.querySelectorAll('.review-head .muted')].map((e) => e.textContent).find((t) => t?.startsWith('item ')) ?? '',
        src: document.querySelector<HTMLImageElement>('[data-testid=review-view] img')?.src ?? '',
      }));
      const n = Number(/item (\d+)/.exec(label)?.[1]);
      await armProbe(page, `() => { const img = document.querySelector('[data-testid=review-view] img'); const l = [...document.querySelectorAll('.review-head .muted')].some((e) => (e.textContent || '').startsWith('item ${n + 1} of')); return l && img && img.src !== ${JSON.stringify(src)} && img.complete && img.naturalWidth > 0; }`);
      await page.keyboard.press('j');
      keys.push(await probeResult(page));
    }
    out.push(['review key: j → next item painted (ms, median / max)', `${quantile(keys, 0.5).toFixed(1)} / ${Math.max(...keys).toFixed(1)}`]);
  } finally {
    await browser.close();
    await server.close();
    await engine.close();
  }
  console.log(`\nUI benchmark: ${ITEMS.toLocaleString('en')} items, headless Chromium (software rendering), ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`);
  console.log('| measure | value |');
  console.log('| --- | ---: |');
  for (const [name, value] of out) console.log(`| ${name} | ${value} |`);
}

await main();
