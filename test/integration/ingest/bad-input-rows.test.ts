// Bad rows, captions and images in manifests, folders and shards, imported for real: each becomes one issue at its
// location, the job finishes, the good rows are imported, and importing again records nothing twice.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { STATS_JOB } from '../../../main/engine/curate/stats-job';
import { Engine } from '../../../main/engine/engine';
import { openDatabase } from '../../../main/engine/store/database';
import { IssueStore } from '../../../main/engine/store/issues';
import { migrations } from '../../../main/engine/store/migrations';
import { solid, tempDir } from '../../fixtures/images';
import { tarBuffer } from '../../fixtures/formats';

let engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close();
  engines = [];
});

async function importInto(location: string) {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  engines.push(engine);
  const project = await engine.createProject(path.join(home, 'p'));
  const { jobId } = await engine.addSource(location);
  expect((await project.jobs.wait(jobId)).state).toBe('done');
  const issues = () => project.issues.list(0, 1000);
  return { engine, project, issues, at: (loc: string) => issues().filter((i) => i.location === loc) };
}

const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('manifests', () => {
  it('a JSONL row nested 100k levels deep is one issue; the rows around it are imported', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await solid(8, 8, 1).png().toFile(path.join(dir, 'b.png'));
    await writeFile(path.join(dir, 'm.jsonl'), [
      JSON.stringify({ path: 'a.png', caption: 'first' }),
      `{"path": "b.png", "caption": "deep", "meta": ${deepJson(100_000)}}`,
      JSON.stringify({ path: 'b.png', caption: 'third' }),
    ].join('\n'));
    const r = await importInto(path.join(dir, 'm.jsonl'));
    expect(r.project.items.page(0, 10).map((i) => i.caption)).toEqual(['first', 'third']);
    expect(r.issues()).toMatchObject([{ kind: 'too_deep', location: 'm.jsonl:2' }]);
  });

  it('a malformed CSV record is one bad_row; the good records are imported', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await solid(8, 8, 1).png().toFile(path.join(dir, 'b.png'));
    await writeFile(path.join(dir, 'm.csv'), 'path,caption\na.png,good one\nb.png,"broken "quote" here\n');
    const r = await importInto(path.join(dir, 'm.csv'));
    expect(r.project.items.page(0, 10).map((i) => i.caption)).toEqual(['good one']);
    expect(r.issues()).toMatchObject([{ kind: 'bad_row', location: 'm.csv:3', message: expect.stringContaining('malformed CSV') }]);
  });

  it('a caption that is an object is not stored as "[object Object]": the row is kept without a caption, its value kept as metadata', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await solid(8, 8, 1).png().toFile(path.join(dir, 'b.png'));
    await writeFile(path.join(dir, 'm.jsonl'), [JSON.stringify({ path: 'a.png', caption: { en: 'a cat' } }), JSON.stringify({ path: 'b.png', caption: 'a dog' })].join('\n'));
    const r = await importInto(path.join(dir, 'm.jsonl'));
    const items = r.project.items.page(0, 10);
    expect(items.map((i) => i.caption)).toEqual([null, 'a dog']);
    expect(items[0].extra).toEqual({ caption: { en: 'a cat' } });
    expect(r.issues()).toMatchObject([{ kind: 'bad_caption', location: 'm.jsonl:1' }]);
  });

  it('importing the same source again does not record its issues twice', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await writeFile(path.join(dir, 'm.jsonl'), [JSON.stringify({ path: 'a.png' }), '{ not json', JSON.stringify({ path: 'missing.png' }), JSON.stringify({ nothing: 1 })].join('\n'));
    const r = await importInto(path.join(dir, 'm.jsonl'));
    const first = r.issues().map((i) => `${i.kind} ${i.location}`);
    expect(first.sort()).toEqual(['bad_row m.jsonl:2', 'bad_row m.jsonl:4', 'io_error m.jsonl:3']);
    const again = await r.engine.addSource(path.join(dir, 'm.jsonl'));
    expect((await r.project.jobs.wait(again.jobId)).state).toBe('done');
    expect(r.issues().map((i) => `${i.kind} ${i.location}`).sort()).toEqual(first);
  });
});

describe('captions are cleaned by one rule, for every source kind', () => {
  // Invalid UTF-8 (a lone 0xFF and a broken two-byte sequence), NUL, a bell character, CR LF and doubled spaces.
  const dirty = Buffer.concat([Buffer.from('a  red'), Buffer.from([0xff]), Buffer.from(' car\u0000\u0007 on\r\nthe '), Buffer.from([0xc3, 0x28]), Buffer.from(' road ')]);
  const cleaned = 'a red\uFFFD car on\nthe \uFFFD( road';

  it('a JSONL manifest', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await solid(8, 8, 1).png().toFile(path.join(dir, 'b.png'));
    // In JSON the NUL and the bell arrive escaped, the invalid bytes raw.
    const jsonCaption = Buffer.concat([Buffer.from('a  red'), Buffer.from([0xff]), Buffer.from(' car\\u0000\\u0007 on\\r\\nthe '), Buffer.from([0xc3, 0x28]), Buffer.from(' road ')]);
    await writeFile(path.join(dir, 'm.jsonl'), Buffer.concat([Buffer.from('{"path": "a.png", "caption": "'), jsonCaption, Buffer.from('"}\n{"path": "b.png", "caption": "clean"}\n')]));
    const r = await importInto(path.join(dir, 'm.jsonl'));
    expect(r.project.items.page(0, 10).map((i) => i.caption)).toEqual([cleaned, 'clean']);
    const [issue] = r.issues();
    expect(issue).toMatchObject({ kind: 'bad_caption', location: 'm.jsonl:1', severity: 'warning' });
    expect(issue.message).toMatch(/2 invalid UTF-8 sequences.*1 NUL byte removed.*1 control character removed/);
    expect(r.issues()).toHaveLength(1);
  });

  it('a CSV manifest', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await writeFile(path.join(dir, 'm.csv'), Buffer.concat([Buffer.from('path,caption\na.png,"'), dirty, Buffer.from('"\n')]));
    const r = await importInto(path.join(dir, 'm.csv'));
    expect(r.project.items.page(0, 10)[0].caption).toBe(cleaned);
    // The quoted caption spans two lines (its CR LF); the parser reports the line where the record ends.
    expect(r.issues()).toMatchObject([{ kind: 'bad_caption', location: expect.stringMatching(/^m\.csv:\d+$/) }]);
  });

  it('a folder with .txt sidecars', async () => {
    const dir = await tempDir();
    await solid(8, 8).png().toFile(path.join(dir, 'a.png'));
    await writeFile(path.join(dir, 'a.txt'), dirty);
    const r = await importInto(dir);
    expect(r.project.items.page(0, 10)[0].caption).toBe(cleaned);
    expect(r.issues()).toMatchObject([{ kind: 'bad_caption', location: 'a.png' }]);
  });

  it('WebDataset .txt members; a bad .json sidecar costs the sample its metadata, not its image', async () => {
    const dir = await tempDir();
    const png = await solid(8, 8).png().toBuffer();
    await writeFile(path.join(dir, '00000.tar'), await tarBuffer([
      { name: '000.png', data: png }, { name: '000.txt', data: dirty },
      { name: '001.png', data: png }, { name: '001.txt', data: Buffer.from('fine') }, { name: '001.json', data: Buffer.from(`{"k": ${deepJson(100_000)}}`) },
    ]));
    const r = await importInto(dir);
    expect(r.project.items.page(0, 10).map((i) => i.caption)).toEqual([cleaned, 'fine']);
    expect(r.at('00000.tar/000')).toMatchObject([{ kind: 'bad_caption' }]);
    expect(r.at('00000.tar:001.json')).toMatchObject([{ kind: 'too_deep' }]);
  });
});

describe('undecodable images', () => {
  it('are flagged by the stats job with decode_failed in plain words, libvips\' own text kept as detail', async () => {
    const dir = await tempDir();
    await solid(32, 32).png().toFile(path.join(dir, 'good.png'));
    // Noise compresses badly, so the cut falls in the image data, well after the header.
    const noise = Buffer.from(Array.from({ length: 128 * 128 * 3 }, (_, i) => (i * 7919) % 251));
    const jpeg = await sharp(noise, { raw: { width: 128, height: 128, channels: 3 } }).jpeg().toBuffer();
    await writeFile(path.join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    const r = await importInto(dir);
    expect(r.project.items.count()).toBe(2); // the header is intact: only decoding finds the damage
    expect((await r.project.jobs.wait(r.project.jobs.start(STATS_JOB, {}).id)).state).toBe('done');
    const cut = r.project.items.page(0, 10).find((i) => i.key === 'cut.jpg')!;
    const issues = r.project.issues.forItem(cut.id);
    expect(issues).toMatchObject([{ kind: 'decode_failed', location: 'cut.jpg', message: 'cannot decode cut.jpg: the image is cut off (the file ends before the image does)' }]);
    expect(issues[0].detail).toMatch(/VipsJpeg: premature end of JPEG/);
    // Running the stats job again flags it once.
    await r.project.jobs.wait(r.project.jobs.start(STATS_JOB, {}).id);
    expect(r.project.issues.forItem(cut.id)).toHaveLength(1);
  });
});

describe('migration 9', () => {
  it('removes duplicated issues and makes the same issue unrecordable twice', async () => {
    const file = path.join(await tempDir(), 'project.sqlite');
    const old = new Database(file);
    for (const m of [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version < 9)) old.exec(m.sql);
    old.pragma('user_version = 8');
    old.exec(`INSERT INTO sources (id, kind, path, root, name) VALUES (1, 'jsonl', '/x/m.jsonl', '/x', 'm');
      INSERT INTO jobs (id, kind, title, params, state) VALUES (1, 'import', 'a', '{}', 'failed'), (2, 'import', 'b', '{}', 'failed')`);
    const add = old.prepare('INSERT INTO issues (severity, kind, message, source_id, location, job_id) VALUES (?, ?, ?, ?, ?, ?)');
    for (let job = 1; job <= 3; job++) add.run('error', 'bad_row', `invalid JSON (job ${job})`, 1, 'm.jsonl:2', null);
    add.run('error', 'bad_row', 'another row', 1, 'm.jsonl:5', null);
    // Issues without a location are one-run events: one per job, never merged across jobs.
    add.run('error', 'job_failed', 'first failure', null, null, 1);
    add.run('error', 'job_failed', 'second failure', null, null, 2);
    old.close();
    const db = openDatabase(file);
    const rows = db.prepare('SELECT kind, location, message FROM issues ORDER BY id').all();
    expect(rows).toEqual([
      { kind: 'bad_row', location: 'm.jsonl:2', message: 'invalid JSON (job 1)' },
      { kind: 'bad_row', location: 'm.jsonl:5', message: 'another row' },
      { kind: 'job_failed', location: null, message: 'first failure' },
      { kind: 'job_failed', location: null, message: 'second failure' },
    ]);
    const store = new IssueStore(db);
    expect(store.add({ kind: 'bad_row', message: 'again', sourceId: 1, location: 'm.jsonl:2' })).toBe(false);
    expect(store.add({ kind: 'bad_row', message: 'new row', sourceId: 1, location: 'm.jsonl:6' })).toBe(true);
    expect(store.count(1)).toBe(3);
    db.close();
  });
});
