// Bad COCO and YOLO input, imported for real (files on disk, the import job, SQLite): every planted fault becomes one
// issue at its location, and the good rows of the same file are still imported.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueT } from '../../../main/domain/project';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { solid, tempDir } from '../../fixtures/images';

interface Imported { engine: Engine; project: Project; issues: IssueT[]; at: (location: string) => IssueT[] }

async function importInto(location: string): Promise<Imported> {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(home, 'p'));
  const { jobId } = await engine.addSource(location);
  expect((await project.jobs.wait(jobId)).state).toBe('done');
  const issues = project.issues.list(0, 1000);
  return { engine, project, issues, at: (loc) => issues.filter((i) => i.location === loc) };
}

/** A 100k-level nested value, written as text (JSON.stringify itself would overflow on it). */
const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('COCO import validates every image, category and annotation', () => {
  let r: Imported;
  const W = 40, H = 30;
  beforeAll(async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'images'));
    for (const name of ['a.png', 'b.png', 'c.png', 'dup.png']) await solid(W, H, name.length).png().toFile(path.join(dir, 'images', name));
    const images = [
      { id: 1, file_name: 'a.png', width: W, height: H },
      { id: 2, file_name: 'b.png', width: W, height: H },
      { id: 'abc', file_name: 'c.png', width: W, height: H },
      { id: 2, file_name: 'dup.png', width: W, height: H },
    ];
    const annotations = [
      { id: 1, image_id: 1, category_id: 1, bbox: [2, 3, 10, 8] },
      { id: 10, image_id: 99, category_id: 1, bbox: [1, 1, 5, 5] },
      { id: 11, image_id: 1, category_id: 1, segmentation: { size: [H, W], counts: [5, 7, 3] } },
      { id: 12, image_id: 1, category_id: 77, bbox: [1, 1, 5, 5] },
      { id: 13, image_id: 2, category_id: 2, bbox: [500, 500, 20, 20] },
      { id: 14, image_id: 1, category_id: 2, bbox: [30, 20, 40, 40] },
      { id: 15, image_id: 'abc', category_id: 1, bbox: [1, 1, 5, 5] },
      { id: 17, image_id: 2, category_id: 1, bbox: [4, 4, 6, 6] },
    ];
    // Written by hand so one annotation can nest 100k levels deep.
    const text = `{"images": ${JSON.stringify(images)}, "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}], "annotations": [`
      + `${annotations.map((a) => JSON.stringify(a)).join(',')}, {"id": 16, "image_id": 2, "category_id": 1, "bbox": [1, 1, 2, 2], "extra": ${deepJson(100_000)}}]}`;
    await writeFile(path.join(dir, 'instances.json'), text);
    r = await importInto(path.join(dir, 'instances.json'));
  });
  afterAll(() => r?.engine.close());

  const annotationsOf = (key: string) => {
    const item = r.project.items.page(0, 100).find((i) => i.key === key)!;
    return r.project.annotations.forItem(item.id).map((a) => ({ label: a.label, bbox: a.bbox }));
  };

  it('imports the good images and their good annotations', () => {
    expect(r.project.items.page(0, 100).map((i) => i.key).sort()).toEqual(['images/a.png', 'images/b.png']);
    expect(annotationsOf('images/a.png')).toEqual([{ label: 'cat', bbox: [2, 3, 10, 8] }, { label: 'dog', bbox: [30, 20, 10, 10] }]);
    expect(annotationsOf('images/b.png')).toEqual([{ label: 'cat', bbox: [4, 4, 6, 6] }]);
  });

  it('an annotation whose image_id does not exist', () => {
    expect(r.at('instances.json:annotation 10')).toMatchObject([{ kind: 'dangling_annotation', message: expect.stringContaining('image_id 99') }]);
  });

  it('a malformed RLE', () => {
    expect(r.at('instances.json:annotation 11')).toMatchObject([{ kind: 'bad_annotation', message: expect.stringContaining('RLE') }]);
  });

  it('a string image id (and the annotation that points at it)', () => {
    expect(r.at('instances.json:image abc')).toMatchObject([{ kind: 'bad_row', message: expect.stringContaining('not an integer') }]);
    expect(r.at('instances.json:annotation 15')).toMatchObject([{ kind: 'dangling_annotation' }]);
  });

  it('an unknown category is refused, not imported as its number', () => {
    expect(r.at('instances.json:annotation 12')).toMatchObject([{ kind: 'unknown_category', message: expect.stringContaining('77') }]);
    expect(r.project.db.prepare(`SELECT count(*) FROM annotations WHERE label = '77'`).pluck().get()).toBe(0);
  });

  it('a duplicated image id keeps the first image', () => {
    expect(r.at('instances.json:image 2')).toMatchObject([{ kind: 'duplicate_id', message: expect.stringContaining('dup.png') }]);
  });

  it('a box entirely outside its image is refused, one reaching past the edge is clipped', () => {
    expect(r.at('instances.json:annotation 13')).toMatchObject([{ kind: 'bad_annotation', message: expect.stringContaining('entirely outside') }]);
    expect(r.at('instances.json:annotation 14')).toMatchObject([{ kind: 'box_clipped', severity: 'warning' }]);
  });

  it('an annotation nested 100k levels deep is one issue, not a failed job', () => {
    // A refused element is never parsed, so its id is unknown: the location is its position in the annotations list.
    expect(r.at('instances.json:annotation #9')).toMatchObject([{ kind: 'too_deep' }]);
  });

  it('nothing else was reported', () => {
    expect(r.issues).toHaveLength(9);
  });
});

describe('YOLO import validates every label line', () => {
  let r: Imported;
  beforeAll(async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'images', 'train'), { recursive: true });
    await mkdir(path.join(dir, 'labels', 'train'), { recursive: true });
    await writeFile(path.join(dir, 'data.yaml'), 'path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n');
    await solid(100, 50).png().toFile(path.join(dir, 'images', 'train', 'a.png'));
    await writeFile(path.join(dir, 'labels', 'train', 'a.txt'), [
      '0 0.5 0.5 0.2 0.4', // good: [40, 15, 20, 20]
      '5 1.7 -0.5 nan 0.2 junk', // the issue's line: not numbers, unknown class, wrong count
      '1 0.5 0.5 0.2', // 4 values
      '7 0.5 0.5 0.1 0.1', // unknown class only
      '0 1.7 0.5 0.2 0.2', // entirely outside (x from 1.6 to 1.8)
      '1 0.95 0.5 0.2 0.2', // reaches past the right edge: clipped to [85, 20, 15, 10]
      '',
    ].join('\n'));
    await writeFile(path.join(dir, 'labels', 'train', 'ghost.txt'), '0 0.5 0.5 0.1 0.1\n');
    r = await importInto(dir);
  });
  afterAll(() => r?.engine.close());

  it('imports the image with its good and clipped boxes', () => {
    const [item] = r.project.items.page(0, 10);
    const boxes = r.project.annotations.forItem(item.id).map((a) => ({ label: a.label, bbox: a.bbox!.map((v) => Math.round(v * 1000) / 1000) }));
    expect(boxes).toEqual([{ label: 'cat', bbox: [40, 15, 20, 20] }, { label: 'dog', bbox: [85, 20, 15, 10] }]);
  });

  it('`5 1.7 -0.5 nan 0.2 junk` is one issue naming its problems', () => {
    const [issue] = r.at('labels/train/a.txt:line 2');
    expect(issue).toMatchObject({ kind: 'bad_annotation' });
    expect(issue.message).toMatch(/"nan", "junk"/);
    expect(issue.message).toMatch(/class 5 is not in data.yaml's names/);
  });

  it('a line with the wrong number of values', () => {
    expect(r.at('labels/train/a.txt:line 3')).toMatchObject([{ kind: 'bad_annotation', message: expect.stringContaining('4 values') }]);
  });

  it('an unknown class index', () => {
    expect(r.at('labels/train/a.txt:line 4')).toMatchObject([{ kind: 'unknown_category' }]);
  });

  it('out-of-range coordinates: refused when nothing is inside the image, clipped otherwise', () => {
    expect(r.at('labels/train/a.txt:line 5')).toMatchObject([{ kind: 'bad_annotation', message: expect.stringContaining('entirely outside') }]);
    expect(r.at('labels/train/a.txt:line 6')).toMatchObject([{ kind: 'box_clipped' }]);
  });

  it('a label file without an image', () => {
    expect(r.at('labels/train/ghost.txt')).toMatchObject([{ kind: 'orphan_label', severity: 'warning' }]);
  });

  it('a split data.yaml names but the folder lacks', () => {
    expect(r.at('data.yaml:val')).toMatchObject([{ kind: 'missing_split', severity: 'warning', message: expect.stringContaining('images/val') }]);
    expect(r.issues).toHaveLength(7);
  });
});
