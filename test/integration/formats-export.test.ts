import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { safeJoin } from '../../main/engine/export/atomic';
import { previewExport, validateExport } from '../../main/engine/export/export-job';
import { decodeRle } from '../../main/domain/rle';
import type { Project } from '../../main/engine/project';
import type { GeneratedScene } from '../../main/synthetic';
import { label, scenes } from '../fixtures/formats';
import { importedProject } from '../fixtures/cli-project';
import { tempDir } from '../fixtures/images';

let list: GeneratedScene[];
let engine: Engine;
let project: Project;
let home: string;

/** A project with captions, source masks+boxes, one rejected and one proposed annotation per item. */
beforeAll(async () => {
  list = await scenes(6, 'export');
  ({ home, engine, project } = await importedProject(async (data) => {
    for (const s of list) {
      await writeFile(path.join(data, `${s.index}.jpg`), s.jpeg);
      await writeFile(path.join(data, `${s.index}.txt`), s.caption);
    }
  }));
  const items = project.items.page(0, 100);
  project.db.transaction(() => {
    for (const [i, s] of list.entries()) {
      for (const o of s.objects) project.annotations.insert(items[i].id, { kind: 'mask', label: label(o), bbox: o.box, rle: o.rle, origin: 'source', state: 'source', createdBy: 'import' });
      project.annotations.insert(items[i].id, { kind: 'box', label: 'rejected thing', bbox: [1, 1, 5, 5], origin: 'model-x', state: 'rejected', createdBy: 'owlvit', score: 0.2 });
      project.annotations.insert(items[i].id, { kind: 'box', label: 'proposed thing', bbox: [2, 2, 6, 6], origin: 'model-x', state: 'proposed', createdBy: 'owlvit', score: 0.6 });
    }
  })();
}, 60_000);

async function exportTo(format: string, options: Record<string, unknown> = {}, written = 6): Promise<string> {
  const dest = path.join(await tempDir('winnow-export-'), 'out');
  const params = await validateExport(project, { format, dest, selection: null, options });
  const job = project.jobs.start('export', params);
  const done = await project.jobs.wait(job.id);
  expect(done.error).toBeNull();
  expect(done.state).toBe('done');
  expect(readdirSync(path.dirname(dest))).toEqual(['out']);
  expect(readFileSync(path.join(dest, 'README.md'), 'utf8')).toContain(`| written | ${written} |`);
  return dest;
}

async function reimport(location: string) {
  const e = new Engine('cli');
  const p = await e.createProject(path.join(await tempDir(), 'q'));
  const { jobId } = await e.addSource(location);
  const job = await p.jobs.wait(jobId);
  expect(job.state).toBe('done');
  return { e, p, items: p.items.page(0, 100) };
}

const truthBoxes = (s: GeneratedScene) => s.objects.map((o) => [label(o), o.box]);

describe('export round trips', () => {
  it('webdataset: img2dataset layout, same bytes and captions back', async () => {
    const dest = await exportTo('webdataset', { samplesPerShard: 4 });
    expect(readdirSync(dest).sort()).toEqual(['00000.parquet', '00000.tar', '00000_stats.json', '00001.parquet', '00001.tar', '00001_stats.json', 'README.md']);
    expect(JSON.parse(readFileSync(path.join(dest, '00001_stats.json'), 'utf8'))).toMatchObject({ count: 2, successes: 2 });
    const { e, items } = await reimport(dest);
    expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    expect(items.map((i) => i.sha256)).toEqual(project.items.page(0, 100).map((i) => i.sha256));
    expect(items[5].key).toBe('00001.tar/000011'); // img2dataset: 5 shard digits + ceil(log10(samplesPerShard))
    await e.close();
  });

  it('webdataset: resize and re-encode with sharp', async () => {
    const dest = await exportTo('webdataset', { resize: 16, reencode: 'webp' });
    const { e, items } = await reimport(dest);
    expect(items.every((i) => i.format === 'webp' && Math.max(i.width!, i.height!) === 16)).toBe(true);
    await e.close();
  });

  it('parquet: metadata and embedded images come back', async () => {
    const dest = await exportTo('parquet', { includeImages: true, rowGroupSize: 4 });
    const { e, items } = await reimport(path.join(dest, 'data.parquet'));
    expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    expect(items.map((i) => i.sha256)).toEqual(project.items.page(0, 100).map((i) => i.sha256));
    await e.close();
  });

  it('imagefolder: captions and boxes', async () => {
    const dest = await exportTo('imagefolder');
    expect(existsSync(path.join(dest, 'train', 'metadata.jsonl'))).toBe(true);
    const { e, p, items } = await reimport(dest);
    expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    for (const [i, s] of list.entries()) expect(p.annotations.forItem(items[i].id).map((a) => [a.label, a.bbox])).toEqual(truthBoxes(s));
    await e.close();
  });

  it('coco: boxes, RLE masks and categories; rejected dropped, proposed only when asked; captions', async () => {
    const dest = await exportTo('coco');
    const inst = JSON.parse(readFileSync(path.join(dest, 'annotations', 'instances.json'), 'utf8'));
    expect(inst.categories.map((c: { name: string }) => c.name)).not.toContain('rejected thing');
    expect(inst.categories.map((c: { name: string }) => c.name)).not.toContain('proposed thing');
    const { e, p, items } = await reimport(path.join(dest, 'annotations', 'instances.json'));
    for (const [i, s] of list.entries()) {
      const anns = p.annotations.forItem(items[i].id);
      expect(anns.map((a) => [a.label, a.bbox])).toEqual(truthBoxes(s));
      expect(anns.map((a) => Array.from(decodeRle(a.rle!)))).toEqual(s.objects.map((o) => Array.from(o.mask)));
    }
    await e.close();
    const caps = await reimport(path.join(dest, 'annotations', 'captions.json'));
    expect(caps.items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    await caps.e.close();
    const withProposed = await exportTo('coco', { includeProposed: true });
    const inst2 = JSON.parse(readFileSync(path.join(withProposed, 'annotations', 'instances.json'), 'utf8'));
    expect(inst2.categories.map((c: { name: string }) => c.name)).toContain('proposed thing');
  });

  it('yolo detect: normalized boxes back to the same pixels; split by seed', async () => {
    const dest = await exportTo('yolo', { valFraction: 0.5, seed: 's1' });
    const yaml = readFileSync(path.join(dest, 'data.yaml'), 'utf8');
    expect(yaml).toContain('train: images/train');
    const again = await exportTo('yolo', { valFraction: 0.5, seed: 's1' });
    expect(readdirSync(path.join(again, 'images', 'val'))).toEqual(readdirSync(path.join(dest, 'images', 'val')));
    const { e, p, items } = await reimport(dest);
    expect(items).toHaveLength(6);
    for (const it of items) {
      const s = list[Number(it.key.split('/').pop()!.split('.')[0])];
      const anns = p.annotations.forItem(it.id);
      expect(anns.map((a) => a.label)).toEqual(s.objects.map(label));
      anns.forEach((a, k) => a.bbox!.forEach((v, j) => expect(Math.abs(v - s.objects[k].box[j])).toBeLessThan(0.01)));
    }
    await e.close();
  });

  it('yolo segment: traced polygons rasterize back to the masks', async () => {
    const dest = await exportTo('yolo', { task: 'segment', valFraction: 0 });
    const { e, p, items } = await reimport(dest);
    for (const it of items) {
      const s = list[Number(it.key.split('/').pop()!.split('.')[0])];
      const anns = p.annotations.forItem(it.id);
      expect(anns).toHaveLength(s.objects.length);
      anns.forEach((a, k) => {
        const got = decodeRle(a.rle!);
        const want = s.objects[k].mask;
        let inter = 0, union = 0;
        for (let j = 0; j < got.length; j++) { inter += got[j] & want[j]; union += got[j] | want[j]; }
        expect(inter / Math.max(1, union)).toBeGreaterThan(0.85);
      });
    }
    await e.close();
  });

  it('manifest jsonl and csv: same captions and bytes', async () => {
    for (const format of ['jsonl', 'csv']) {
      const dest = await exportTo('manifest', { format });
      const { e, items } = await reimport(path.join(dest, `manifest.${format}`));
      expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
      expect(items.map((i) => i.sha256)).toEqual(project.items.page(0, 100).map((i) => i.sha256));
      await e.close();
    }
  });

  it('preview counts what an export would write', () => {
    expect(previewExport(project, 'coco', null)).toMatchObject({ selected: 6, willWrite: 6, annotations: { rejected: 6, proposed: 6 } });
  });

  it('contract methods: export.formats, export.preview, export.start (validated)', async () => {
    const { createDispatch } = await import('../../main/api/handlers');
    const dispatch = createDispatch(engine);
    const formats = await dispatch('export.formats', {}) as { id: string; options: { name: string; label: string }[] }[];
    expect(formats.map((f) => f.id)).toEqual(['webdataset', 'parquet', 'imagefolder', 'coco', 'yolo', 'manifest', 'clip-retrieval']);
    expect(formats[0].options.map((o) => o.name)).toContain('samplesPerShard');
    expect(await dispatch('export.preview', { format: 'yolo', options: { includeProposed: true } })).toMatchObject({ selected: 6, annotations: { kept: project.annotations.count() - 6 } });
    await expect(dispatch('export.preview', { format: 'clip-retrieval' })).rejects.toThrow(/no embeddings/);
    await expect(dispatch('export.start', { format: 'coco', dest: '/nonexistent-parent/x' })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(dispatch('export.start', { format: 'coco', dest: path.join(home, 'x'), extra: 1 })).rejects.toMatchObject({ code: 'bad_input' });
    const dest = path.join(await tempDir('winnow-export-'), 'api');
    const { jobId } = await dispatch('export.start', { format: 'manifest', dest, options: { format: 'csv', copyImages: false } }) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    expect(readFileSync(path.join(dest, 'manifest.csv'), 'utf8').split('\n')[0]).toBe('path,caption,key,width,height,sha256,url,metadata,labels,objects,scores,provenance');
  });
});

describe('export safety', () => {
  it('a cancelled export leaves neither the destination nor a partial folder', async () => {
    const parent = await tempDir('winnow-export-');
    const dest = path.join(parent, 'out');
    const params = await validateExport(project, { format: 'webdataset', dest, selection: null, options: { reencode: 'png', resize: 32 } });
    // Cancel as soon as the job runs (the partial folder is being written), as a user would from the Jobs panel.
    let asked = false;
    const off = engine.events.on('job.progress', (j) => { if (!asked && j.kind === 'export' && j.state === 'running') { asked = true; project.jobs.cancel(j.id); } });
    const job = project.jobs.start('export', params);
    const done = await project.jobs.wait(job.id);
    off();
    expect(done.state).toBe('cancelled');
    expect(readdirSync(parent)).toEqual([]);
    // A killed run's partial folder never looks complete (no README.md, '.partial-' name) and the next run removes it.
    await mkdir(path.join(parent, 'out.partial-dead'));
    await writeFile(path.join(parent, 'out.partial-dead', '00000.tar'), 'half');
    const again = project.jobs.start('export', params);
    expect((await project.jobs.wait(again.id)).state).toBe('done');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('refuses relative, missing-parent and non-empty destinations and paths escaping the folder', async () => {
    const parent = await tempDir('winnow-export-');
    await expect(validateExport(project, { format: 'coco', dest: 'relative/out', selection: null, options: {} })).rejects.toThrow(/absolute|does not exist/);
    await expect(validateExport(project, { format: 'coco', dest: path.join(parent, 'no', 'out'), selection: null, options: {} })).rejects.toThrow(/does not exist/);
    await writeFile(path.join(parent, 'x'), 'x');
    await expect(validateExport(project, { format: 'coco', dest: parent, selection: null, options: {} })).rejects.toThrow(/not empty/);
    await expect(validateExport(project, { format: 'coco', dest: path.join(parent, 'o'), selection: null, options: { bogus: 1 } })).rejects.toThrow(/unknown option/);
    expect(() => safeJoin(parent, '../evil')).toThrow(/outside/);
    expect(() => safeJoin(parent, '/etc/passwd')).toThrow(/outside/);
    expect(() => safeJoin(parent, 'a/../../b')).toThrow(/outside/);
    expect(safeJoin(parent, 'a/b.txt')).toBe(path.join(parent, 'a', 'b.txt'));
  });
});

describe('winnow export (CLI)', () => {
  it('exports with options and prints JSON', async () => {
    const { winnowRun } = await import('../fixtures/cli');
    const { publishOwnerApi } = await import('../fixtures/owner-api');
    // This test process owns the project: the CLI attaches to its API, as it would to the app's.
    const stop = await publishOwnerApi(engine);
    const out = path.join(await tempDir('winnow-export-'), 'cli-out');
    const r = await winnowRun(['export', '--project', project.dir, '--format', 'yolo', '--out', out, '--opt', 'valFraction=0', '--json'], { WINNOW_HOME: home });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ job: { state: 'done', done: 6 }, dest: out, options: { valFraction: 0 } });
    expect(readdirSync(path.join(out, 'images', 'train'))).toHaveLength(6);
    const bad = await winnowRun(['export', '--project', project.dir, '--format', 'nope', '--out', out + '2'], { WINNOW_HOME: home });
    await stop();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown export format/);
  });
});

describe('clip-retrieval export', () => {
  it('writes aligned img_emb / text_emb .npy and metadata parquet from stored embeddings', async () => {
    const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
    await expect(validateExport(project, { format: 'clip-retrieval', dest: path.join(await tempDir(), 'o'), selection: null, options: {} })).rejects.toThrow(/no embeddings/);
    const items = project.items.page(0, 100);
    const set = project.embeddings.ensureSet('test/clip', 4, 'sha256:abc');
    const img = project.embeddings.matrix(set, 'image');
    const txt = project.embeddings.matrix(set, 'text');
    // Item 2 has no embedding (e.g. failed to decode): it is left out, rows stay aligned.
    const embedded = items.filter((_, i) => i !== 2);
    embedded.forEach((it, r) => {
      img.write(r, Float32Array.from([it.id, 0.5, -0.25, 1]));
      txt.write(r, Float32Array.from([-it.id, 0.125, 0, 2]));
      project.embeddings.addText(set, `h${r}`, r);
      project.embeddings.addItem(set, it.id, r, r);
    });
    img.close();
    txt.close();
    for (const dtype of ['float32', 'float16']) {
      const dest = await exportTo('clip-retrieval', { dtype }, 5);
      const npy = readFileSync(path.join(dest, 'img_emb', 'img_emb_0.npy'));
      expect(npy.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
      const header = npy.subarray(10, 10 + npy.readUInt16LE(8)).toString('latin1');
      expect(header).toContain(`'shape': (5, 4)`);
      expect(header).toContain(dtype === 'float32' ? `'<f4'` : `'<f2'`);
      const body = npy.subarray(10 + npy.readUInt16LE(8));
      if (dtype === 'float32') expect(Array.from(new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + 16)))).toEqual([embedded[0].id, 0.5, -0.25, 1]);
      else expect(body.readUInt16LE(2)).toBe(0x3800); // 0.5 as IEEE half
      const meta = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(dest, 'metadata', 'metadata_0.parquet')) });
      expect(meta.map((m) => m.caption)).toEqual(embedded.map((i) => i.caption));
      expect(readFileSync(path.join(dest, 'README.md'), 'utf8')).toContain('test/clip');
    }
  });
});

describe('export of a saved selection', () => {
  it('writes only the kept items and the card lists each rule with what it removed', async () => {
    const { SelectionStore } = await import('../../main/engine/curate/selection');
    const items = project.items.page(0, 100);
    const ins = project.db.prepare(`INSERT OR REPLACE INTO signals (item_id, name, value) VALUES (?, 'image.min_side', ?)`);
    items.forEach((it, i) => ins.run(it.id, i < 2 ? 10 : 300));
    new SelectionStore(project.db).save('big-enough', [{ id: 'min_side', kind: 'min_side', enabled: true, threshold: 100 }]);
    const dest = path.join(await tempDir('winnow-export-'), 'sel');
    const params = await validateExport(project, { format: 'manifest', dest, selection: 'big-enough', options: {} });
    expect((await project.jobs.wait(project.jobs.start('export', params).id)).state).toBe('done');
    const rows = readFileSync(path.join(dest, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.caption)).toEqual(items.slice(2).map((i) => i.caption));
    const card = readFileSync(path.join(dest, 'README.md'), 'utf8');
    expect(card).toContain('| removed by the selection | 2 |');
    expect(card).toContain('| min_side | image.min_side | >= 100 | 2 |');
    await expect(validateExport(project, { format: 'manifest', dest: path.join(dest, 'x'), selection: 'nope', options: {} })).rejects.toThrow(/no selection/);
  });
});
