// Issue 13 item 6: a project.sqlite edited to widen a source's root (or re-point an item) cannot make media serving or an
// export read files outside the source, and an export refuses bytes that changed since import.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine';
import { ItemReader } from '../../../main/engine/export/item-reader';
import { readItemBytes } from '../../../main/engine/media/resolve';
import type { Project } from '../../../main/engine/project';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let project: Project;
let data: string;
let secret: string;
let ids: number[];

beforeAll(async () => {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  data = await tempDir();
  for (const [name, colour] of [['a.png', 'red'], ['b.png', 'blue']] as const) {
    await sharp({ create: { width: 16, height: 16, channels: 3, background: colour } }).png().toFile(path.join(data, name));
  }
  const outside = await tempDir();
  secret = path.join(outside, 'secret.png');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: 'black' } }).png().toFile(secret);
  engine = new Engine('cli');
  project = await engine.createProject(path.join(home, 'proj'));
  await engine.addSource(data);
  await project.jobs.idle();
  ids = (project.db.prepare('SELECT id FROM items ORDER BY key').pluck().all() as number[]);
  expect(ids).toHaveLength(2);
});

afterAll(() => engine.close());

describe('a tampered project file', () => {
  it('cannot widen a source root to / to read a file outside the source', async () => {
    // What an attacker writes into project.sqlite: the root column widened, an item re-pointed outside, its hash set to match.
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const secretHash = createHash('sha256').update(readFileSync(secret)).digest('hex');
    project.db.prepare("UPDATE sources SET root = '/'").run();
    project.db.prepare('UPDATE items SET uri = ?, sha256 = ? WHERE id = ?').run(secret, secretHash, ids[0]);
    await expect(readItemBytes(project, ids[0])).rejects.toThrow(/outside its source/);
    const reader = new ItemReader(project);
    const row = reader.page(JSON.stringify([ids[0]])).get(ids[0])!;
    await expect(reader.bytes(row.item, row.provenance)).rejects.toThrow(/outside its source/);
    // The untouched item still reads.
    const other = reader.page(JSON.stringify([ids[1]])).get(ids[1])!;
    expect((await reader.bytes(other.item, other.provenance)).length).toBeGreaterThan(0);
  });

  it('makes an export refuse an item whose bytes no longer match the sha256 recorded at import', async () => {
    const reader = new ItemReader(project);
    const row = reader.page(JSON.stringify([ids[1]])).get(ids[1])!;
    writeFileSync(path.join(data, 'b.png'), await sharp({ create: { width: 16, height: 16, channels: 3, background: 'white' } }).png().toBuffer());
    await expect(reader.bytes(row.item, row.provenance)).rejects.toThrow(/no longer match the sha256/);
  });
});
