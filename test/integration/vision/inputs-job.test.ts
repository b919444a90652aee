// The import-time model-input pass (main/engine/vision/inputs-job.ts): an import queues it for the project's
// small model, its entries give full decoding's tensors bit for bit, the first embed run reads them and
// stores the same vectors as an embed from the files, detection reads them and proposes what it proposes
// from the files, and an entry made for other preprocessing or from a thumbnail is never taken for exact.
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECT_JOB } from '../../../main/engine/detect/detect-job';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { cachedInput, inputCacheKey, inputCachePath, readInputCache, writeInputCache } from '../../../main/engine/vision/input-cache';
import { INPUTS_JOB } from '../../../main/engine/vision/input-pass';
import { inputsJob } from '../../../main/engine/vision/inputs-job';
import { computeGeometry, preprocessFromCache, preprocessImage } from '../../../main/engine/vision/preprocess';
import type { PreprocessSpec } from '../../../main/engine/vision/preprocess-spec';
import { generateScenes } from '../../../main/synthetic/generate';
import { tempDir } from '../../fixtures/images';
import { cmykJpeg, exifRotatedJpeg, RED, transparentPng, truncatedJpeg } from '../../fixtures/vision/images';

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const QUERIES = ['red circle', 'blue square'];

interface Outcome {
  /** Image embedding per file name. */
  vectors: Map<string, Float32Array>;
  /** Detection proposals per file name, in a stable order. */
  proposals: Map<string, string[]>;
}

async function proposalsByName(project: Project): Promise<Map<string, string[]>> {
  const rows = project.db.prepare(`SELECT i.uri, a.label, a.score, a.bbox, a.rle FROM annotations a JOIN items i ON i.id = a.item_id
    WHERE json_extract(a.params, '$.run') = 'detect' ORDER BY i.uri, a.label, a.score, a.bbox`).all() as { uri: string; label: string; score: number; bbox: string; rle: string | null }[];
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(path.basename(r.uri), [...(out.get(path.basename(r.uri)) ?? []), `${r.label} ${r.score} ${r.bbox} ${r.rle}`]);
  return out;
}

function vectorsByName(project: Project): Map<string, Float32Array> {
  const set = project.embeddings.getSet(DEFAULT_MODEL)!;
  const images = project.embeddings.matrix(set, 'image');
  try {
    return new Map(project.items.page(0, 100).flatMap((item) => {
      const rows = project.embeddings.rowsOf(set, item.id);
      return rows ? [[path.basename(item.uri), images.read(rows.imageRow)] as const] : [];
    }));
  } finally {
    images.close();
  }
}

describe('import-time model inputs', () => {
  let data: string;
  let fromFiles: Outcome;
  let engine: Engine;
  let project: Project;
  let spec: PreprocessSpec;

  beforeAll(async () => {
    data = await tempDir();
    // Near-square scenes get one center crop in detection (the embed input), long ones are tiled.
    const sizes = [[640, 640], [600, 560], [960, 720], [500, 900]];
    for (const [i, [width, height]] of sizes.entries()) {
      const [scene] = await generateScenes(1, { seed: `inputs-job-${i}`, width, height, objects: [{ color: 'red', shape: 'circle' }, { color: 'blue', shape: 'square' }] });
      writeFileSync(path.join(data, `scene-${i}.jpg`), scene.jpeg);
    }
    writeFileSync(path.join(data, 'rotated.jpg'), await exifRotatedJpeg());
    writeFileSync(path.join(data, 'transparent.png'), await transparentPng());
    writeFileSync(path.join(data, 'cmyk.jpg'), await cmykJpeg(RED));
    writeFileSync(path.join(data, 'broken.jpg'), await truncatedJpeg());

    // The reference: the same folder embedded and detected from the files, with the cache turned off.
    process.env.WINNOW_HOME = await tempDir();
    process.env.WINNOW_INPUT_CACHE = '0';
    const plain = new Engine('cli');
    try {
      const p = await plain.createProject(path.join(process.env.WINNOW_HOME, 'plain'));
      await p.jobs.wait((await plain.addSource(data)).jobId);
      await p.jobs.idle();
      expect(p.jobs.list().map((j) => j.kind)).toEqual(['import']);
      await p.jobs.wait(plain.embed());
      await p.jobs.wait(p.jobs.start(DETECT_JOB, { queries: QUERIES, threshold: 0, segment: true, selection: null }).id);
      fromFiles = { vectors: vectorsByName(p), proposals: await proposalsByName(p) };
    } finally {
      delete process.env.WINNOW_INPUT_CACHE;
      await plain.close();
    }

    process.env.WINNOW_INPUT_PASS = '1'; // off by default (inputs-job.ts); the demo-project test covers that
    engine = new Engine('cli');
    project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'cached'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    await project.jobs.idle();
    spec = (await engine.active.get()).model.preprocess;
  }, 240_000);
  afterAll(async () => {
    delete process.env.WINNOW_INPUT_PASS;
    await engine?.close();
  });

  it('is queued behind the import and leaves entries equal to full decoding, bit for bit', async () => {
    const jobs = project.jobs.list().sort((a, b) => a.id - b.id);
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([['import', 'done'], [INPUTS_JOB, 'done']]);
    // Seven images decode; the truncated one fails here and is left for the embed job to report.
    expect(project.jobs.result(inputsJob(project, engine.active), jobs[1].id)).toEqual({ model: DEFAULT_MODEL, ready: 7, failed: 1 });
    const items = project.items.page(0, 100).filter((item) => !item.uri.endsWith('broken.jpg'));
    expect(items).toHaveLength(7);
    for (const item of items) {
      const entry = cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!;
      expect(entry.fresh).toBe(true);
      const cached = preprocessFromCache({ ...entry, requireExact: true }, spec);
      const decoded = await preprocessImage(item.uri, spec);
      expect(cached, item.uri).not.toBeNull();
      expect(sameBits(cached!.data, decoded.data), item.uri).toBe(true);
      expect([cached!.width, cached!.height]).toEqual([decoded.width, decoded.height]);
    }
  });

  it('the first embed run reads the entries (none is rewritten) and stores the vectors an embed from the files stores', async () => {
    const items = project.items.page(0, 100).filter((item) => !item.uri.endsWith('broken.jpg'));
    const inodes = items.map((item) => statSync(inputCachePath(project.thumbsDir, spec, item.id)).ino);
    expect(await project.jobs.wait(engine.embed())).toMatchObject({ state: 'done', done: 8 });
    expect(items.map((item) => statSync(inputCachePath(project.thumbsDir, spec, item.id)).ino)).toEqual(inodes);
    const vectors = vectorsByName(project);
    expect([...vectors.keys()].sort()).toEqual([...fromFiles.vectors.keys()].sort());
    expect(vectors.size).toBe(7);
    for (const [name, vector] of vectors) expect(sameBits(vector, fromFiles.vectors.get(name)!), name).toBe(true);
    // The broken image is reported by the embed job, as without the cache.
    expect(project.issues.list(0, 100).some((issue) => /cannot embed/.test(issue.message))).toBe(true);
  });

  it('detection reads the entries and proposes what it proposes from the files', async () => {
    await project.jobs.wait(project.jobs.start(DETECT_JOB, { queries: QUERIES, threshold: 0, segment: true, selection: null }).id);
    const proposals = await proposalsByName(project);
    expect(proposals.size).toBeGreaterThanOrEqual(7);
    expect(proposals).toEqual(fromFiles.proposals);

    // The entry is what detection looks at: scene-1's pixels in scene-0's entry (made out to scene-0's file, so the
    // read takes it) give scene-0 scene-1's proposals (boxes too: the entry carries its image's size).
    const byName = new Map(project.items.page(0, 100).map((item) => [path.basename(item.uri), item.id]));
    const [square, nearSquare] = [inputCachePath(project.thumbsDir, spec, byName.get('scene-0.jpg')!), inputCachePath(project.thumbsDir, spec, byName.get('scene-1.jpg')!)];
    const original = readFileSync(square);
    try {
      const [item0, item1] = ['scene-0.jpg', 'scene-1.jpg'].map((name) => project.items.get(byName.get(name)!)!);
      const cropPixels = (w: number, h: number) => computeGeometry(spec, w, h).crop.width * computeGeometry(spec, w, h).crop.height;
      const planted = readInputCache(nearSquare, spec, cachedInput(project.thumbsDir, spec, item1.id, item1.uri, item1.uri, true)!.stamp, cropPixels)!;
      writeInputCache(square, spec, planted, true, cachedInput(project.thumbsDir, spec, item0.id, item0.uri, item0.uri, true)!.stamp);
      await project.jobs.wait(project.jobs.start(DETECT_JOB, { queries: QUERIES, threshold: 0, segment: false, selection: null }).id);
      const swapped = await proposalsByName(project);
      expect(swapped.get('scene-0.jpg')).toEqual(swapped.get('scene-1.jpg'));
      expect(fromFiles.proposals.get('scene-0.jpg')).not.toEqual(fromFiles.proposals.get('scene-1.jpg'));
    } finally {
      writeFileSync(square, original);
    }
  });

  it('an entry of other preprocessing, or made from a thumbnail, is not taken for full decoding', async () => {
    const item = project.items.page(0, 100).find((i) => i.uri.endsWith('scene-0.jpg'))!;
    const entry = inputCachePath(project.thumbsDir, spec, item.id);
    // Each field that decides the pixels changes the key, so another model's entries live in another folder…
    const variants: PreprocessSpec[] = [
      { ...spec, kernel: spec.kernel === 'cubic' ? 'lanczos3' : 'cubic' },
      { ...spec, width: 48, height: 48, crop: { width: 48, height: 48 }, resize: { mode: 'shortest-edge', shortestEdge: 48 } },
      { ...spec, padToSquare: { value: 0.5 } },
    ];
    for (const other of variants) {
      expect(inputCacheKey(other)).not.toBe(inputCacheKey(spec));
      expect(inputCachePath(project.thumbsDir, other, item.id)).not.toBe(entry);
      expect(cachedInput(project.thumbsDir, other, item.id, item.uri, item.uri, true)!.fresh).toBe(false);
      // …and an entry found where another spec's should be is refused and decoded again with that spec.
      const foreign = { ...cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!, fresh: true, requireExact: true };
      expect(preprocessFromCache(foreign, other)).toBeNull();
    }
    // An entry the embed job made from a thumbnail serves embedding, but never detection's exact read.
    const copy = `${entry}.thumb-made`;
    const approx = { ...cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!, cache: copy, fresh: false, exact: false };
    const thumbSized = (await import('sharp')).default(item.uri).resize(320, 240).webp({ quality: 78 }).toBuffer();
    await preprocessImage({ ...approx, source: new Uint8Array(await thumbSized) }, spec);
    expect(preprocessFromCache({ ...approx, fresh: true }, spec)).not.toBeNull();
    expect(preprocessFromCache({ ...approx, fresh: true, requireExact: true }, spec)).toBeNull();
  });

  it('importing the source again prepares only what the import adds', async () => {
    const [extra] = await generateScenes(1, { seed: 'inputs-job-extra', width: 300, height: 300 });
    writeFileSync(path.join(data, 'extra.jpg'), extra.jpeg);
    const before = project.items.maxId();
    await project.jobs.wait((await engine.addSource(data)).jobId);
    await project.jobs.idle();
    const last = project.jobs.list().filter((j) => j.kind === INPUTS_JOB).sort((a, b) => a.id - b.id).at(-1)!;
    expect(last).toMatchObject({ state: 'done', done: 1, total: 1 });
    const added = project.items.page(0, 100).find((i) => i.uri.endsWith('extra.jpg'))!;
    expect(added.id).toBeGreaterThan(before);
    const cached = preprocessFromCache({ ...cachedInput(project.thumbsDir, spec, added.id, added.uri, added.uri, true)!, requireExact: true }, spec);
    expect(sameBits(cached!.data, (await preprocessImage(added.uri, spec)).data)).toBe(true);
  });

  it('a source replaced by another picture with an older mtime than its entry is decoded again by the next pass', async () => {
    // `cp -p`, `rsync -t` or an unpacked archive leave the new picture an old mtime: the entry must not win by age.
    const item = project.items.page(0, 100).find((i) => i.uri.endsWith('scene-2.jpg'))!;
    const entry = inputCachePath(project.thumbsDir, spec, item.id);
    const old = preprocessFromCache({ ...cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!, requireExact: true }, spec)!;
    expect(old).not.toBeNull();
    const [other] = await generateScenes(1, { seed: 'inputs-job-replaced', width: 960, height: 720 });
    writeFileSync(item.uri, other.jpeg);
    const older = new Date(statSync(entry).mtimeMs - 3_600_000);
    utimesSync(item.uri, older, older);
    const decoded = await preprocessImage(item.uri, spec);
    expect(sameBits(decoded.data, old.data)).toBe(false);
    await project.jobs.wait(project.jobs.start(INPUTS_JOB, { model: DEFAULT_MODEL, afterItemId: 0 }).id);
    const cached = preprocessFromCache({ ...cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!, requireExact: true }, spec);
    expect(cached).not.toBeNull();
    expect(sameBits(cached!.data, decoded.data)).toBe(true);
  });
});
