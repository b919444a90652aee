import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATS_JOB } from '../../main/engine/curate/stats-job';
import { Engine } from '../../main/engine/engine';
import { detectSourceKind } from '../../main/engine/ingest/open-source';
import { decodeRle } from '../../main/domain/rle';
import type { GeneratedScene } from '../../main/synthetic';
import { tempDir } from '../fixtures/images';
import { label, patchTarSize, scenes, tarBuffer, writeCoco, writeHfImageFolder, writeParquet, writeWebDataset, writeYolo } from '../fixtures/formats';

let list: GeneratedScene[];
beforeAll(async () => {
  list = await scenes(6);
});

async function importInto(location: string) {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(home, 'p'));
  const { source, jobId } = await engine.addSource(location);
  const job = await project.jobs.wait(jobId);
  return { engine, project, source, job };
}

describe('ingest of the field formats', () => {
  it('reads img2dataset WebDataset shards without extracting; media is served by byte range', async () => {
    const dir = await tempDir();
    await writeWebDataset(dir, list, 4);
    expect(await detectSourceKind(dir)).toBe('webdataset');
    const { engine, project, source, job } = await importInto(dir);
    expect(job.state).toBe('done');
    expect(source.kind).toBe('webdataset');
    const items = project.items.page(0, 100);
    expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    expect(items[0].uri).toBe(`${path.join(dir, '00000.tar')}#000000000.jpg`);
    expect(items[0].width).toBe(48);
    const prov = project.items.provenance(items[5].id)!;
    expect(prov).toMatchObject({ source: 'webdataset', shard: '00001.tar', key: '000000005', member: '000000005.jpg' });
    const image = await engine.getMedia('image', items[5].id);
    expect(image.body.equals(list[5].jpeg)).toBe(true);
    expect((await engine.getMedia('thumb', items[5].id)).contentType).toBe('image/webp');
    expect(items[0].extra).toMatchObject({ status: 'success', key: '000000000' });
    // Pixel statistics read tar members too (no file of their own): every item measured, no issue.
    expect((await project.jobs.wait(project.jobs.start(STATS_JOB, {}).id)).state).toBe('done');
    expect(project.db.prepare(`SELECT count(DISTINCT item_id) FROM signals WHERE name = 'image.brightness'`).pluck().get()).toBe(list.length);
    expect(project.db.prepare(`SELECT count(*) FROM issues WHERE message LIKE '%decode%'`).pluck().get()).toBe(0);
    await engine.close();
  });

  it('refuses malicious tar members per member and goes on', async () => {
    const dir = await tempDir();
    const good = (i: number) => [{ name: `00000000${i}.jpg`, data: list[i].jpeg }, { name: `00000000${i}.txt`, data: Buffer.from(list[i].caption) }];
    let tar = await tarBuffer([
      ...good(0),
      { name: '/etc/evil.jpg', data: list[1].jpeg },
      { name: '../escape.jpg', data: list[1].jpeg },
      { name: 'a/../../b.jpg', data: list[1].jpeg },
      { name: 'link.jpg', type: 'symlink', linkname: '/etc/passwd' },
      ...good(2),
      { name: 'giant.jpg', data: list[3].jpeg },
      ...good(4),
    ]);
    tar = patchTarSize(tar, 'giant.jpg', 8 * 1024 ** 3);
    await writeFile(path.join(dir, '00000.tar'), tar);
    const { engine, project, job } = await importInto(dir);
    expect(job.state).toBe('done');
    expect(project.items.page(0, 10).map((i) => i.caption)).toEqual([list[0].caption, list[2].caption]);
    const kinds = project.issues.list(0, 50).map((i) => i.kind).sort();
    expect(kinds).toEqual(['archive_absolute_path', 'archive_link', 'archive_member_too_large', 'archive_traversal', 'archive_traversal', 'bad_archive'].sort());
    await engine.close();
  });

  it('reads Parquet: URLs become remote items, embedded bytes are served from the file + row', async () => {
    const dir = await tempDir();
    await writeParquet(path.join(dir, 'laion.parquet'), list, false);
    const urls = await importInto(path.join(dir, 'laion.parquet'));
    const remote = urls.project.items.page(0, 100);
    expect(remote).toHaveLength(6);
    expect(remote[2]).toMatchObject({ uri: 'http://127.0.0.1:9/2.jpg', caption: list[2].caption, width: null });
    expect(remote[2].extra).toMatchObject({ key: '000000002', similarity: 0.27 });
    await urls.engine.close();

    const bytesDir = await tempDir();
    await writeParquet(path.join(bytesDir, 'part.parquet'), list, true);
    expect(await detectSourceKind(bytesDir)).toBe('parquet');
    const emb = await importInto(bytesDir);
    const items = emb.project.items.page(0, 100);
    expect(items.map((i) => i.sha256 !== null && i.width === 48)).toEqual(list.map(() => true));
    expect(emb.project.items.provenance(items[3].id)).toMatchObject({ row: 3, column: 'jpg' });
    expect((await emb.engine.getMedia('image', items[3].id)).body.equals(list[3].jpeg)).toBe(true);
    await emb.engine.close();
  });

  it('reads Hugging Face imagefolder with splits and objects', async () => {
    const dir = await tempDir();
    await writeHfImageFolder(dir, list);
    expect(await detectSourceKind(dir)).toBe('hf-imagefolder');
    const { engine, project } = await importInto(dir);
    const items = project.items.page(0, 100);
    expect(items.map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    expect(items.map((i) => i.extra?.split)).toEqual(['train', 'train', 'train', 'validation', 'validation', 'validation']);
    const anns = project.annotations.forItem(items[1].id);
    expect(anns.map((a) => [a.label, a.bbox])).toEqual(list[1].objects.map((o) => [label(o), o.box]));
    await engine.close();
  });

  it('reads COCO instances (RLE masks, boxes) and captions', async () => {
    const dir = await tempDir();
    const { instances, captions } = await writeCoco(dir, list);
    expect(await detectSourceKind(instances)).toBe('coco');
    const { engine, project } = await importInto(instances);
    const items = project.items.page(0, 100);
    expect(items).toHaveLength(6);
    for (const [i, s] of list.entries()) {
      const anns = project.annotations.forItem(items[i].id);
      expect(anns.map((a) => [a.kind, a.label, a.bbox, a.origin, a.state])).toEqual(s.objects.map((o) => ['mask', label(o), o.box, 'source', 'source']));
      expect(anns.map((a) => Array.from(decodeRle(a.rle!)))).toEqual(s.objects.map((o) => Array.from(o.mask)));
    }
    await engine.close();
    const caps = await importInto(captions);
    expect(caps.project.items.page(0, 100).map((i) => i.caption)).toEqual(list.map((s) => s.caption));
    await caps.engine.close();
  });

  it('reads YOLO detect and segment labels into pixel boxes and masks', async () => {
    const dir = await tempDir();
    await writeYolo(dir, list);
    expect(await detectSourceKind(dir)).toBe('yolo');
    const { engine, project } = await importInto(dir);
    const items = project.items.page(0, 100);
    expect(items.map((i) => i.extra?.split)).toEqual(['train', 'train', 'train', 'val', 'val', 'val']);
    const a0 = project.annotations.forItem(items[0].id);
    expect(a0.map((a) => a.label)).toEqual(list[0].objects.map(label));
    a0.forEach((a, k) => a.bbox!.forEach((v, j) => expect(v).toBeCloseTo(list[0].objects[k].box[j], 6)));
    const a4 = project.annotations.forItem(items[4].id);
    expect(a4.every((a) => a.kind === 'mask' && a.rle !== null)).toBe(true);
    a4.forEach((a, k) => expect(a.rle!.counts.filter((_, j) => j % 2).reduce((x, y) => x + y, 0)).toBe(list[4].objects[k].box[2] * list[4].objects[k].box[3]));
    await engine.close();
  });
});
