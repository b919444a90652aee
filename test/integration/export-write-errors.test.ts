// Every writer fails cleanly on a write error: the job fails with the reason, the partial output is removed, and the same job
// resumes to a complete export once the problem is gone. The error is real: the exports run in a child process started under
// `ulimit -f` (RLIMIT_FSIZE), where the kernel refuses to grow any file past 1 MiB (EFBIG), as a full disk refuses with ENOSPC.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { ROOT } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';

const FORMATS: [string, Record<string, unknown>][] = [
  ['webdataset', {}], ['parquet', { includeImages: true }], ['imagefolder', {}], ['coco', {}], ['yolo', {}],
  ['manifest', { format: 'jsonl', copyImages: false }], ['manifest', { format: 'csv' }], ['clip-retrieval', { dtype: 'float32' }],
];

describe('write errors during export', () => {
  it('each writer: job failed with the reason, no partial output, resumable', async () => {
    const home = await tempDir();
    process.env.WINNOW_HOME = home;
    const data = path.join(home, 'data');
    await mkdir(data);
    // One image of ~3 MB (noise does not compress) and one caption of 1.5 MB: every format has a file that outgrows 1 MiB.
    const noise = randomBytes(1000 * 1000 * 3);
    await writeFile(path.join(data, 'big.png'), await sharp(noise, { raw: { width: 1000, height: 1000, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer());
    await writeFile(path.join(data, 'big.txt'), 'word '.repeat(300_000));
    await writeFile(path.join(data, 'small.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).png().toBuffer());
    let engine = new Engine('cli');
    let project = await engine.createProject(path.join(home, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    // Embeddings wide enough (300k floats a row) that clip-retrieval's .npy outgrows the limit too.
    const items = project.items.page(0, 10);
    const set = project.embeddings.ensureSet('test/wide', 300_000, null);
    const img = project.embeddings.matrix(set, 'image');
    const txt = project.embeddings.matrix(set, 'text');
    items.forEach((it, r) => {
      img.write(r, new Float32Array(300_000).fill(r + 1));
      txt.write(r, new Float32Array(300_000).fill(-r - 1));
      project.embeddings.addText(set, `h${r}`, r);
      project.embeddings.addItem(set, it.id, r, r);
    });
    img.close();
    txt.close();
    await engine.close();

    const outRoot = await tempDir('winnow-enospc-');
    for (const [f, o] of FORMATS) await mkdir(path.join(outRoot, f + ((o.format as string | undefined) ?? '')));
    const script = path.join(ROOT, 'test', 'fixtures', 'export-under-limit.mjs');
    const child = spawnSync('/bin/bash', ['-c', 'ulimit -f 1024 && exec "$0" "$@"', process.execPath, script, path.join(home, 'p'), outRoot, JSON.stringify(FORMATS)],
      { encoding: 'utf8', env: { ...process.env, WINNOW_HOME: home }, timeout: 240_000 });
    expect(child.status, child.stderr).toBe(0);
    const results = JSON.parse(child.stdout) as { format: string; options: Record<string, unknown>; jobId: number; state: string; error: string | null; left: string[] }[];
    expect(results).toHaveLength(FORMATS.length);
    for (const r of results) {
      expect({ format: r.format, state: r.state }).toEqual({ format: r.format, state: 'failed' });
      expect(r.error).toMatch(/EFBIG|file too large/i);
      expect(r.error).toMatch(/partial output was removed/);
      // Neither the destination nor a partial folder nor the lock file is left behind.
      expect(r.left).toEqual([]);
    }

    // Space is back (no limit in this process): the same jobs resume and finish.
    engine = new Engine('cli');
    project = await engine.openProject(path.join(home, 'p'), { resume: false });
    for (const r of results) {
      const job = await project.jobs.wait(project.jobs.resume(r.jobId).id);
      expect({ format: r.format, state: job.state, error: job.error }).toEqual({ format: r.format, state: 'done', error: null });
      const parent = path.join(outRoot, r.format + ((r.options.format as string | undefined) ?? ''));
      expect(readdirSync(parent)).toEqual(['out']);
      expect(readFileSync(path.join(parent, 'out', 'README.md'), 'utf8')).toContain('| written | 2 |');
    }
    await engine.close();
  }, 300_000);
});
