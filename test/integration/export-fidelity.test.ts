// What the curator decided is what the export holds: every format, read back by Winnow's importers (round trip) and by a reader
// Winnow does not own (Python's tarfile / csv, DuckDB, the COCO and YOLO specs), compared with the dataset card's counts.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import MarkdownIt from 'markdown-it';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { decodeRle, rleBbox, type CocoRle } from '../../main/domain/rle';
import { Engine } from '../../main/engine/engine';
import { validateExport } from '../../main/engine/export/export-job';
import type { Project } from '../../main/engine/project';
import type { GeneratedScene } from '../../main/synthetic';
import { label, scenes } from '../fixtures/formats';
import { importedProject } from '../fixtures/cli-project';
import { tempDir } from '../fixtures/images';

const EVIL = '[evil](http://x.invalid) <b>bold</b> ![i](y)';
const FORMULA = '=HYPERLINK("http://x.invalid","click")';
let list: GeneratedScene[];
let project: Project;
let home: string;
/** Per scene index: what the export must hold (undefined for the undecodable item). */
const want = new Map<number, { caption: string | null; objects: { label: string; bbox: number[]; mask: Uint8Array }[]; labels: { label: string; score: number }[]; pair: number | null }>();

beforeAll(async () => {
  list = await scenes(6, 'fidelity');
  ({ home, project } = await importedProject(async (data) => {
    for (const s of list) {
      await writeFile(path.join(data, `${s.index}.jpg`), s.jpeg);
      if (s.index !== 5) await writeFile(path.join(data, `${s.index}.txt`), s.index === 4 ? FORMULA : s.caption);
    }
  }));
  const items = project.items.page(0, 100);
  const clipRun = project.runs.create('pairscore', { model: 'clip-model' });
  const statsRun = project.runs.create('stats');
  const pair = project.db.prepare(`INSERT INTO signals (item_id, name, value, run_id) VALUES (?, ?, ?, ?)`);
  project.db.transaction(() => {
    for (const [i, s] of list.entries()) {
      const id = items[i].id;
      for (const o of s.objects) project.annotations.insert(id, { kind: 'mask', label: label(o), bbox: o.box, rle: o.rle, origin: 'source', state: 'source', createdBy: 'import' });
      // An accepted model mask whose stored box is the whole image: the export must give its mask's tight box.
      const o = s.objects[0];
      project.annotations.insert(id, { kind: 'mask', label: 'model thing', bbox: [0, 0, s.width, s.height], rle: o.rle, origin: 'seg-model', state: 'accepted', createdBy: 'job:1', score: 0.9 });
      project.annotations.insert(id, { kind: 'label', label: EVIL, score: 0.75, origin: 'label-model', state: 'accepted', createdBy: 'job:2' });
      project.annotations.insert(id, { kind: 'label', label: 'unsure', score: 0.3, origin: 'label-model', state: 'proposed', createdBy: 'job:2' });
      project.annotations.insert(id, { kind: 'box', label: 'rejected thing', bbox: [1, 1, 5, 5], origin: 'seg-model', state: 'rejected', createdBy: 'job:1', score: 0.2 });
      if (i !== 5) pair.run(id, 'clip.pair', 0.2 + i / 10, clipRun);
      pair.run(id, 'image.min_side', 40, statsRun);
      if (i === 3) project.issues.add({ kind: 'decode_failed', message: 'planted: cannot decode', itemId: id, location: items[i].key });
      else {
        want.set(i, {
          caption: i === 5 ? null : i === 4 ? FORMULA : s.caption,
          objects: [...s.objects.map((x) => ({ label: label(x), bbox: x.box, mask: x.mask })), { label: 'model thing', bbox: rleBbox(o.rle)!, mask: o.mask }],
          labels: [{ label: EVIL, score: 0.75 }], pair: i === 5 ? null : 0.2 + i / 10,
        });
      }
    }
  })();
}, 60_000);

async function exportTo(format: string, options: Record<string, unknown> = {}): Promise<{ dest: string; card: string }> {
  const dest = path.join(await tempDir('winnow-fidelity-'), 'out');
  const params = await validateExport(project, { format, dest, selection: null, options });
  const done = await project.jobs.wait(project.jobs.start('export', params).id);
  expect(done.error).toBeNull();
  return { dest, card: readFileSync(path.join(dest, 'README.md'), 'utf8') };
}

/** The numbers the card states (parsed from its Markdown, as a reader of the README would). */
function cardNumbers(card: string) {
  const n = (re: RegExp) => Number(card.match(re)?.[1] ?? NaN);
  const ann = card.match(/(\d+) objects \((\d+) with a mask\) and (\d+) image-level labels written/);
  return {
    written: n(/\| written \| (\d+) \|/), captions: n(/\| with a caption \| (\d+) \|/), undecodable: n(/\| left out: undecodable \| (\d+) \|/),
    objects: Number(ann?.[1] ?? NaN), masks: Number(ann?.[2] ?? NaN), labels: Number(ann?.[3] ?? NaN), pair: n(/\| clip\.pair \| (\d+) \|/),
    perFile: Object.fromEntries([...card.matchAll(/^\| ([^|]+?) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2])])),
  };
}

const totalObjects = () => [...want.values()].reduce((a, w) => a + w.objects.length, 0);
const expectedCard = { written: 5, captions: 4, undecodable: 1, labels: 5, pair: 4 };

async function reimport(location: string) {
  const e = new Engine('cli');
  const p = await e.createProject(path.join(await tempDir(), 'q'));
  const { jobId } = await e.addSource(location);
  expect((await p.jobs.wait(jobId)).state).toBe('done');
  return { e, p };
}

/** Maps re-imported items back to scene indexes by image hash, and checks captions, labels, objects (and masks) and scores. */
function checkRoundTrip(p: Project, opts: { captions: boolean; labels: boolean; masks: boolean; scores: boolean; boxTolerance?: number }) {
  const bySha = new Map(project.items.page(0, 100).map((it, i) => [it.sha256, i]));
  const items = p.items.page(0, 100);
  expect(items).toHaveLength(5);
  for (const it of items) {
    const i = bySha.get(it.sha256)!;
    const w = want.get(i)!;
    expect(w).toBeDefined();
    if (opts.captions) expect(it.caption).toBe(w.caption);
    const anns = p.annotations.forItem(it.id);
    const objects = anns.filter((a) => a.kind !== 'label').sort((a, b) => a.label.localeCompare(b.label));
    const expected = [...w.objects].sort((a, b) => a.label.localeCompare(b.label));
    expect(objects.map((a) => a.label)).toEqual(expected.map((o) => o.label));
    objects.forEach((a, k) => {
      a.bbox!.forEach((v, j) => expect(Math.abs(v - expected[k].bbox[j])).toBeLessThanOrEqual(opts.boxTolerance ?? 0));
      if (opts.masks) expect(Array.from(decodeRle(a.rle!))).toEqual(Array.from(expected[k].mask));
    });
    if (opts.labels) expect(anns.filter((a) => a.kind === 'label').map((a) => ({ label: a.label, score: a.score }))).toEqual(w.labels);
    if (opts.scores) {
      const pair = p.db.prepare(`SELECT value FROM signals WHERE item_id = ? AND name = 'clip.pair'`).pluck().get(it.id) as number | undefined;
      expect(pair ?? null).toBe(w.pair);
    }
  }
}

function python(script: string, ...args: string[]): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

describe('every format carries what it has a place for; the card states what was written', () => {
  it('webdataset: Python tarfile counts match the card; labels, objects, scores and empty captions round-trip', async () => {
    const { dest, card } = await exportTo('webdataset', { samplesPerShard: 3 });
    const c = cardNumbers(card);
    expect(c).toMatchObject({ ...expectedCard, objects: totalObjects(), masks: totalObjects() });
    const tarStats = python(`
import json, sys, tarfile, glob, os
out = {}
for shard in sorted(glob.glob(os.path.join(sys.argv[1], '*.tar'))):
    t = tarfile.open(shard)
    names = t.getnames()
    metas = [json.load(t.extractfile(n)) for n in names if n.endswith('.json')]
    txts = [t.extractfile(n).read().decode() for n in names if n.endswith('.txt')]
    out[os.path.basename(shard)] = {'samples': len([n for n in names if n.endswith('.jpg')]), 'txt': len(txts), 'empty_txt': len([x for x in txts if x == '']),
        'objects': sum(len(m['objects']) for m in metas), 'labels': sum(len(m['labels']) for m in metas), 'pair': len([m for m in metas if 'clip.pair' in m['scores']]),
        'null_caption': len([m for m in metas if m['caption'] is None])}
print(json.dumps(out))`, dest) as Record<string, { samples: number; txt: number; empty_txt: number; objects: number; labels: number; pair: number; null_caption: number }>;
    const shards = Object.values(tarStats);
    expect(Object.fromEntries(Object.entries(tarStats).map(([k, v]) => [k, v.samples]))).toEqual({ '00000.tar': c.perFile['00000.tar'], '00001.tar': c.perFile['00001.tar'] });
    const sum = (k: keyof (typeof shards)[number]) => shards.reduce((a, s) => a + s[k], 0);
    expect([sum('samples'), sum('objects'), sum('labels'), sum('pair')]).toEqual([c.written, c.objects, c.labels, c.pair]);
    // img2dataset: a .txt for every sample, empty when there is no caption; "caption": null in the json.
    expect([sum('txt'), sum('empty_txt'), sum('null_caption')]).toEqual([5, 1, 1]);
    const { e, p } = await reimport(dest);
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('parquet with image bytes: DuckDB counts match the card; everything round-trips', async () => {
    const { dest, card } = await exportTo('parquet', { includeImages: true, rowGroupSize: 2 });
    const c = cardNumbers(card);
    expect(c).toMatchObject({ ...expectedCard, objects: totalObjects() });
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const file = path.join(dest, 'data.parquet').replace(/'/g, "''");
    const rows = (await db.runAndReadAll(`SELECT count(*)::INT, count(caption)::INT, count(image)::INT, sum(json_array_length(objects))::INT,
      sum(json_array_length(labels))::INT, count("score:clip.pair")::INT FROM read_parquet('${file}')`)).getRows()[0];
    expect(rows).toEqual([c.written, c.captions, c.written, c.objects, c.labels, c.pair]);
    expect(c.perFile['data.parquet']).toBe(c.written);
    const { e, p } = await reimport(path.join(dest, 'data.parquet'));
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('parquet without image bytes: rows point at the originals by uri; next to its images it round-trips, elsewhere each row says why', async () => {
    const { dest, card } = await exportTo('parquet');
    expect(cardNumbers(card)).toMatchObject(expectedCard);
    const next = path.join(home, 'data', 'metadata-only.parquet');
    copyFileSync(path.join(dest, 'data.parquet'), next);
    const { e, p } = await reimport(next);
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
    const away = await reimport(path.join(dest, 'data.parquet'));
    expect(away.p.items.page(0, 10)).toHaveLength(0);
    const issues = away.p.db.prepare(`SELECT kind, message FROM issues WHERE kind = 'outside_source'`).all() as { message: string }[];
    expect(issues).toHaveLength(5);
    expect(issues[0].message).toMatch(/includeImages=true/);
    await away.e.close();
  });

  it('imagefolder: metadata.jsonl counts match the card; labels, objects with masks and scores round-trip', async () => {
    const { dest, card } = await exportTo('imagefolder');
    const c = cardNumbers(card);
    expect(c).toMatchObject({ ...expectedCard, objects: totalObjects(), masks: totalObjects() });
    const rows = readFileSync(path.join(dest, 'train', 'metadata.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(c.perFile['train/metadata.jsonl']);
    expect(rows.reduce((a, r) => a + (r.objects?.bbox.length ?? 0), 0)).toBe(c.objects);
    const { e, p } = await reimport(dest);
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('manifest csv: Python csv reads formula cells guarded; counts match; everything round-trips', async () => {
    const { dest, card } = await exportTo('manifest', { format: 'csv' });
    const c = cardNumbers(card);
    expect(c).toMatchObject({ ...expectedCard, objects: totalObjects() });
    const rows = python(`
import csv, json, sys
print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))`, path.join(dest, 'manifest.csv')) as Record<string, string>[];
    expect(rows.length).toBe(c.perFile['manifest.csv']);
    // OWASP: a cell a spreadsheet would run as a formula starts with a quote instead.
    expect(rows.map((r) => r.caption)).toContain(`'${FORMULA}`);
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
    expect(rows.reduce((a, r) => a + (r.objects ? JSON.parse(r.objects).length : 0), 0)).toBe(c.objects);
    const { e, p } = await reimport(path.join(dest, 'manifest.csv'));
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('manifest jsonl: round-trips', async () => {
    const { dest, card } = await exportTo('manifest', { format: 'jsonl' });
    const rows = readFileSync(path.join(dest, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(cardNumbers(card).written);
    const { e, p } = await reimport(path.join(dest, 'manifest.jsonl'));
    checkRoundTrip(p, { captions: true, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('coco: a check written from the COCO spec agrees with the card; model masks have their tight box; round-trips', async () => {
    const { dest, card } = await exportTo('coco');
    const c = cardNumbers(card);
    expect(c).toMatchObject({ ...expectedCard, objects: totalObjects(), masks: totalObjects() });
    const inst = JSON.parse(readFileSync(path.join(dest, 'annotations', 'instances.json'), 'utf8'));
    const caps = JSON.parse(readFileSync(path.join(dest, 'annotations', 'captions.json'), 'utf8'));
    const images = new Map<number, { width: number; height: number; file_name: string }>(inst.images.map((im: { id: number }) => [im.id, im]));
    expect(images.size).toBe(inst.images.length);
    const cats = new Set(inst.categories.map((x: { id: number }) => x.id));
    const annIds = new Set<number>();
    for (const a of inst.annotations) {
      expect(annIds.has(a.id)).toBe(false);
      annIds.add(a.id);
      const im = images.get(a.image_id)!;
      expect(im).toBeDefined();
      expect(cats.has(a.category_id)).toBe(true);
      const [x, y, w, h] = a.bbox;
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= im.width && y + h <= im.height).toBe(true);
      expect(a.segmentation.size).toEqual([im.height, im.width]);
      const mask = cocoStringToMask(a.segmentation.counts, im.height, im.width);
      expect(mask.reduce((s, v) => s + v, 0)).toBe(a.area);
      if (a.winnow_origin === 'seg-model') expect(a.bbox).toEqual(tightBox(mask, im.height, im.width));
    }
    expect(inst.images.length).toBe(c.written);
    expect(inst.annotations.length).toBe(c.objects);
    expect(caps.annotations.length).toBe(c.captions);
    expect(inst.images.reduce((a: number, im: { winnow_labels?: unknown[] }) => a + (im.winnow_labels?.length ?? 0), 0)).toBe(c.labels);
    expect(readdirSync(path.join(dest, 'images')).length).toBe(c.perFile['images/']);
    const { e, p } = await reimport(path.join(dest, 'annotations', 'instances.json'));
    checkRoundTrip(p, { captions: false, labels: true, masks: true, scores: true });
    await e.close();
  });

  it('yolo detect: label files parsed per the YOLO spec agree with the card; boxes round-trip; the card says what YOLO leaves out', async () => {
    const { dest, card } = await exportTo('yolo', { valFraction: 0 });
    const c = cardNumbers(card);
    expect(c).toMatchObject({ written: 5, objects: totalObjects(), labels: 0, pair: NaN });
    expect(card).toMatch(/Left out[^\n]*\n\n- captions, image-level labels, scores/);
    const yaml = YAML.parse(readFileSync(path.join(dest, 'data.yaml'), 'utf8')) as { nc: number; names: Record<string, string> };
    let lines = 0;
    for (const f of readdirSync(path.join(dest, 'labels', 'train'))) {
      for (const line of readFileSync(path.join(dest, 'labels', 'train', f), 'utf8').split('\n').filter(Boolean)) {
        const t = line.split(' ');
        expect(t).toHaveLength(5);
        expect(Number.isInteger(Number(t[0])) && Number(t[0]) < yaml.nc).toBe(true);
        for (const v of t.slice(1).map(Number)) expect(v >= 0 && v <= 1).toBe(true);
        lines++;
      }
    }
    expect(lines).toBe(c.objects);
    expect(readdirSync(path.join(dest, 'images', 'train')).length).toBe(c.perFile['images/train/']);
    const { e, p } = await reimport(dest);
    checkRoundTrip(p, { captions: false, labels: false, masks: false, scores: false, boxTolerance: 0.01 });
    await e.close();
  });

  it('yolo: a box reaching past the image edge is clipped to it, one wholly outside is left out, and the card says so', async () => {
    const item = project.items.page(0, 1)[0];
    const ids = [
      project.annotations.insert(item.id, { kind: 'box', label: 'edge thing', bbox: [-10, -5, 30, 20], origin: 'manual', state: 'accepted', createdBy: 'test' }),
      project.annotations.insert(item.id, { kind: 'box', label: 'gone thing', bbox: [500, 500, 10, 10], origin: 'manual', state: 'accepted', createdBy: 'test' }),
    ];
    try {
      const { dest, card } = await exportTo('yolo', { valFraction: 0 });
      const yaml = YAML.parse(readFileSync(path.join(dest, 'data.yaml'), 'utf8')) as { names: Record<string, string> };
      const cls = Object.entries(yaml.names).find(([, n]) => n === 'edge thing')![0];
      expect(Object.values(yaml.names)).not.toContain('gone thing');
      const line = readFileSync(path.join(dest, 'labels', 'train', '000000000.txt'), 'utf8').split('\n').find((l) => l.startsWith(`${cls} `))!;
      const [cx, cy, w, h] = line.split(' ').slice(1).map(Number);
      // Clipped to [0, 0, 20, 15] px on a 48 × 40 image.
      [cx - 10 / 48, cy - 7.5 / 40, w - 20 / 48, h - 15 / 40].forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-5));
      expect(card).toContain('1 boxes reaching past the image edge were clipped to it');
      expect(card).toContain('- 1 boxes lying wholly outside their image');
    } finally {
      project.db.prepare(`DELETE FROM annotations WHERE id IN (${ids.join(',')})`).run();
    }
  });

  it('undecodable items go out only when asked', async () => {
    const { card } = await exportTo('manifest', { includeUndecodable: true, copyImages: false });
    expect(cardNumbers(card)).toMatchObject({ written: 6, undecodable: 0 });
  });

  it('the card escapes names: a label with a link, an image and HTML renders as text', async () => {
    const { card } = await exportTo('manifest', { copyImages: false });
    const html = new MarkdownIt({ html: true, linkify: true }).render(card);
    expect(html).not.toMatch(/<a |<img |<b>/);
    expect(html).toContain('[evil](http://x.invalid) &lt;b&gt;bold&lt;/b&gt; ![i](y)');
  });
});

/** COCO compressed RLE (pycocotools rleFrString): 6-bit chunks + 48, continuation bit 0x20, sign bit 0x10, deltas from count i-2. */
function cocoStringToMask(s: string, h: number, w: number): Uint8Array {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = 1, c = 0;
    while (more) {
      c = s.charCodeAt(p++) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = c & 0x20;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  const mask = new Uint8Array(h * w);
  let at = 0;
  counts.forEach((n, i) => { if (i % 2) mask.fill(1, at, at + n); at += n; });
  // Column-major (Fortran order) per the spec → row-major.
  const out = new Uint8Array(h * w);
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) out[y * w + x] = mask[x * h + y];
  return out;
}

function tightBox(mask: Uint8Array, h: number, w: number): number[] {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (mask[y * w + x]) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export type { CocoRle };

describe('a running export owns its destination', () => {
  it('a second export to a destination a live process holds is refused and leaves the first one\'s partial folder alone; a dead holder\'s lock is taken over', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync, writeFileSync } = await import('node:fs');
    const { LOCK_SUFFIX } = await import('../../main/engine/export/atomic');
    const parent = await tempDir('winnow-lock-');
    const dest = path.join(parent, 'out');
    // Another process mid-export: its lock file (pid of a live process) and its partial folder.
    const other = spawn('/bin/sleep', ['60']);
    await mkdir(path.join(parent, 'out.partial-0therjob'));
    writeFileSync(path.join(parent, 'out.partial-0therjob', '00000.tar'), 'half written');
    writeFileSync(dest + LOCK_SUFFIX, JSON.stringify({ pid: other.pid, job: 7 }));
    try {
      await expect(validateExport(project, { format: 'webdataset', dest, selection: null, options: {} })).rejects.toMatchObject({ code: 'conflict' });
      // Even a job that got past validation (queued before the other started) refuses to touch it.
      const job = await project.jobs.wait(project.jobs.start('export', { format: 'webdataset', dest, selection: null, options: {} }).id);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(new RegExp(`another export \\(process ${other.pid}, job 7\\)`));
      expect(readFileSync(path.join(parent, 'out.partial-0therjob', '00000.tar'), 'utf8')).toBe('half written');
      expect(existsSync(dest)).toBe(false);
    } finally {
      other.kill();
    }
    await new Promise((r) => other.once('exit', r));
    // The holder died: its lock is stale, its partial folder is removed, the export goes through and releases the lock.
    const params = await validateExport(project, { format: 'webdataset', dest, selection: null, options: {} });
    expect((await project.jobs.wait(project.jobs.start('export', params).id)).state).toBe('done');
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
