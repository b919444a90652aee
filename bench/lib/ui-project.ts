// The project bench:ui and bench:scroll drive in Chromium: synthetic items and embeddings (bench/lib/
// synthetic-project.ts), signals the Filters view judges, box proposals to review, and 256 real JPEGs the items
// point at so thumbnails and the review image decode for real; cached under WINNOW_BENCH_DIR by size.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { Engine } from '../../main/engine/engine';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { log, syntheticProject } from './synthetic-project';

const POOL = 256;

/** The project: synthetic items and embeddings, signals the Filters view judges, box proposals to review, real pixels. */
export async function uiProject(cache: string, items: number): Promise<string> {
  const dir = path.join(cache, `ui-${items}`);
  if (existsSync(path.join(dir, '.ui-complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  log(`building a ${items.toLocaleString('en')}-item project in ${dir}`);
  const engine = new Engine('cli');
  const project = await syntheticProject(engine, dir, items, 128, DEFAULT_MODEL);
  const pool = path.join(dir, 'images', 'pool');
  mkdirSync(pool, { recursive: true });
  for (let i = 0; i < POOL; i++) {
    const bg = { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 31) % 256 };
    const spot = Buffer.from(`<svg width="160" height="120"><circle cx="${40 + (i % 80)}" cy="${30 + (i % 60)}" r="${12 + (i % 20)}" fill="rgb(${255 - bg.r},${255 - bg.g},${255 - bg.b})"/></svg>`);
    await sharp({ create: { width: 160, height: 120, channels: 3, background: bg } }).composite([{ input: spot }]).jpeg({ quality: 80 }).toFile(path.join(pool, `${i}.jpg`));
  }
  const db = project.db;
  const uri = db.prepare('UPDATE items SET uri = ?, width = 160, height = 120 WHERE id = ?');
  const signal = db.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?)');
  const proposal = db.prepare(`INSERT INTO annotations (item_id, kind, label, score, bbox, origin, params, state, created_by)
    VALUES (?, 'box', ?, ?, '[20,15,60,50]', 'detect', '{"threshold":0.3}', 'proposed', 'bench')`);
  const ids = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
  for (let first = 0; first < ids.length; first += 50_000) db.transaction(() => {
    for (const id of ids.slice(first, first + 50_000)) {
      const h = Math.imul(id, 2654435761) >>> 0;
      uri.run(path.join(pool, `${id % POOL}.jpg`), id);
      signal.run(id, 'clip.pair', (h % 1000) / 2000);
      signal.run(id, 'caption.words', 3 + (h % 12));
      if (id % 10 === 0) proposal.run(id, ['cat', 'dog', 'car'][h % 3], 0.2 + (h % 600) / 1000);
    }
  })();
  await engine.close();
  writeFileSync(path.join(dir, '.ui-complete'), '');
  return dir;
}

/**
 * Scrolls the grid's rows by `step` px per frame for `frames` frames; returns the rAF deltas (ms). Row pixels, not
 * the element's: a grid taller than the browser allows scrolls a scaled range (data-scroll-scale, Grid.tsx).
 */
export async function scrollFrames(page: Page, frames: number, step: number): Promise<number[]> {
  return page.evaluate(async ({ frames, step: rowStep }) => {
    const el = document.querySelector<HTMLElement>('[data-testid=grid]')!;
    const step = rowStep / Number(el.getAttribute('data-scroll-scale') ?? 1);
    const next = () => new Promise<number>((r) => requestAnimationFrame(r));
    const deltas: number[] = [];
    let last = await next();
    let at = el.scrollTop; // kept as a float: the element rounds a fractional step
    for (let f = 0; f < frames; f++) {
      at += step;
      el.scrollTop = at;
      const now = await next();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  }, { frames, step });
}

