// Export per shard after the merge: every shard writes WebDataset tars of the items the merged selection
// keeps, with the source's bytes unchanged; together the shards export exactly the kept keys, whatever
// the number of shards, and a committed shard export is never written twice.
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveQueue, type RunningWorker } from '../../../main/cluster/worker';
import { ScalePlan, type ScalePlanT } from '../../../main/domain/scale';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { mergeShards, RESULT } from '../../../main/engine/scale/merge';
import { S3Storage } from '../../../main/engine/scale/s3-storage';
import { exportPath, exportShard } from '../../../main/engine/scale/shard-export';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel } from '../../../main/engine/scale/shard-model';
import { planUnits, shardOf } from '../../../main/engine/scale/units';
import { winnowRun } from '../../fixtures/cli';
import { hasRedis, startRedis, type RedisServer } from '../../fixtures/redis';
import { tempDir } from '../../fixtures/images';
import { scalePlan, writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function tarMembers(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c) => parts.push(c as Buffer));
      stream.on('end', () => { out.set(h.name, Buffer.concat(parts)); next(); });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(await readFile(file));
  await done;
  return out;
}

interface Exported { key: string; image: Buffer; caption: string; json: { winnow: { key: string }; scores: Record<string, number> } }

/** Every sample of every tar of one committed shard export, by its source key (from the sample's json). */
async function exportedSamples(dir: string): Promise<Exported[]> {
  const out: Exported[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.tar')).sort()) {
    const members = await tarMembers(path.join(dir, f));
    for (const [name, data] of members) {
      if (!name.endsWith('.json')) continue;
      const base = name.slice(0, -'.json'.length);
      const json = JSON.parse(data.toString()) as Exported['json'];
      const image = [...members].find(([n]) => n.startsWith(`${base}.`) && !n.endsWith('.json') && !n.endsWith('.txt'));
      out.push({ key: json.winnow.key, image: image![1], caption: members.get(`${base}.txt`)!.toString(), json });
    }
  }
  return out;
}

/** The source's own bytes and captions by merge key, read from the generated files, not through Winnow. */
async function sourceTruth(data: ScaleDataset): Promise<Map<string, { bytes: Buffer; caption: string }>> {
  const truth = new Map<string, { bytes: Buffer; caption: string }>();
  for (const tar of (await readdir(data.wds)).filter((n) => n.endsWith('.tar'))) {
    const members = await tarMembers(path.join(data.wds, tar));
    for (const [name, bytes] of members) {
      if (!name.endsWith('.jpg')) continue;
      const k = name.slice(0, -4);
      truth.set(`${tar}/${k}`, { bytes, caption: members.get(`${k}.txt`)!.toString() });
    }
  }
  const lines = (await readFile(data.manifest, 'utf8')).trim().split('\n');
  for (const [i, line] of lines.entries()) {
    const { file_name, caption } = JSON.parse(line) as { file_name: string; caption: string };
    truth.set(`row:${i + 1}`, { bytes: await readFile(path.join(path.dirname(data.manifest), file_name)), caption });
  }
  return truth;
}

let data: ScaleDataset;
let selection: Array<{ source: number; key: string; kept: boolean; reasons: string | null }>;
const plans: Record<number, ScalePlanT> = {};

let root: string;
const planIn = (out: string) => ScalePlan.parse(scalePlan(data, out, {
  rules: [
    { id: 'words', kind: 'caption_words', op: '>', threshold: 3 },
    { id: 'broken', kind: 'unreadable' },
    { id: 'copies', kind: 'exact_dup' },
  ],
}));

async function runAndMerge(dir: string, count: number): Promise<ScalePlanT> {
  const plan = planIn(path.join(dir, `out-${count}`));
  const storage = new FsStorage(plan.output);
  const model = await loadShardModel(plan.model);
  try {
    const units = await planUnits(plan);
    for (let index = 0; index < count; index++) await runShard(plan, shardOf(units, { index, count }), { storage, model });
  } finally {
    await model.model.dispose();
  }
  await mergeShards(plan, count, storage);
  return plan;
}

beforeAll(async () => {
  const dir = await tempDir('winnow-shard-export-');
  root = dir;
  data = await writeScaleDataset(dir);
  plans[3] = await runAndMerge(dir, 3);
  plans[1] = await runAndMerge(dir, 1);
  selection = (await parquetReadObjects({ file: await asyncBufferFromFile(path.join(plans[3].output, 'result', 'selection.parquet')) })) as typeof selection;
}, 300_000);

async function exportAll(count: number): Promise<Exported[]> {
  const plan = plans[count];
  const storage = new FsStorage(plan.output);
  const units = await planUnits(plan);
  const all: Exported[] = [];
  for (let index = 0; index < count; index++) {
    const summary = await exportShard(plan, shardOf(units, { index, count }), { storage, format: 'webdataset' });
    expect(summary.committed).toBe(true);
    all.push(...(await exportedSamples(path.join(plan.output, exportPath({ index, count })))));
  }
  return all;
}

describe('export per shard', () => {
  it('exports exactly the kept items, with the source bytes and captions unchanged', async () => {
    const kept = selection.filter((s) => s.kept).map((s) => s.key).sort();
    const removed = selection.filter((s) => !s.kept).map((s) => s.key);
    // The planted exact copy, the broken file and short captions are removed; something is kept.
    expect(removed).toContain(data.exactPair[1]);
    expect(removed).toContain(data.corruptKey);
    expect(removed.length).toBeGreaterThan(2);
    expect(kept.length).toBeGreaterThan(5);

    const exported = await exportAll(3);
    expect(exported.map((e) => e.key).sort()).toEqual(kept);
    for (const k of removed) expect(exported.some((e) => e.key === k)).toBe(false);
    const truth = await sourceTruth(data);
    for (const e of exported) {
      expect(sha(e.image)).toBe(sha(truth.get(e.key)!.bytes));
      expect(e.caption).toBe(truth.get(e.key)!.caption);
      expect(e.json.scores['caption.words']).toBe(truth.get(e.key)!.caption.trim().split(/\s+/).length);
    }
  }, 120_000);

  it('leaves a committed shard export as it is', async () => {
    const plan = plans[3];
    const storage = new FsStorage(plan.output);
    const shard = shardOf(await planUnits(plan), { index: 1, count: 3 });
    const dir = path.join(plan.output, exportPath(shard));
    const before = await Promise.all((await readdir(dir)).map(async (f) => [f, (await stat(path.join(dir, f))).mtimeMs] as const));
    const again = await exportShard(plan, shard, { storage });
    expect(again.committed).toBe(false);
    expect(again.alreadyCommitted).toBe(true);
    expect(again.written).toBeGreaterThan(0);
    const after = await Promise.all((await readdir(dir)).map(async (f) => [f, (await stat(path.join(dir, f))).mtimeMs] as const));
    expect(after).toEqual(before);
    expect((await readdir(path.join(plan.output, 'export'))).sort()).toEqual(['00000-of-00003', '00001-of-00003', '00002-of-00003']);
  });

  it('exports the same keys from one shard as from three', async () => {
    const one = (await exportAll(1)).map((e) => e.key).sort();
    expect(one).toEqual(selection.filter((s) => s.kept).map((s) => s.key).sort());
  }, 120_000);

  it('refuses a shard of a run that has not been merged', async () => {
    const plan = ScalePlan.parse({ ...plans[3], output: path.join(plans[3].output, '..', 'never-merged') });
    const shard = shardOf(await planUnits(plan), { index: 0, count: 3 });
    await expect(exportShard(plan, shard, { storage: new FsStorage(plan.output) })).rejects.toThrow(/no merged result .*winnow merge/);
  });

  it('runs from the command line, once, and refuses an unmerged run there too', async () => {
    const plan = plans[3];
    const file = path.join(plan.output, '..', 'plan-3.json');
    await writeFile(file, JSON.stringify(plan));
    const again = await winnowRun(['export-shard', '--plan', file, '--shard', '2/3', '--format', 'webdataset', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout) as { name: string; alreadyCommitted: boolean; written: number };
    expect(summary).toMatchObject({ name: 'export/00002-of-00003', alreadyCommitted: true });
    expect(summary.written).toBe((await exportedSamples(path.join(plan.output, 'export', '00002-of-00003'))).length);
    const unmerged = path.join(plan.output, '..', 'plan-unmerged.json');
    await writeFile(unmerged, JSON.stringify({ ...plan, output: path.join(plan.output, '..', 'never-merged-cli') }));
    const refused = await winnowRun(['export-shard', '--plan', unmerged, '--shard', '0/3']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/no merged result .*winnow merge/);
  }, 120_000);
});

describe.skipIf(!hasRedis)('cluster run --export', () => {
  let redis: RedisServer;
  const workers: RunningWorker[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (const name of ['w1', 'w2']) workers.push(await serveQueue(redis.url, { name, lockMs: 3000, log: () => undefined }));
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) await w.close();
    await redis?.stop();
  });

  it('exports every shard after the merge, the kept keys exactly', async () => {
    const plan = planIn(path.join(root, 'out-cluster'));
    const file = path.join(root, 'plan-cluster.json');
    await writeFile(file, JSON.stringify(plan));
    const run = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', '3', '--export', 'webdataset', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { exports: Array<{ name: string; committed: boolean }>; exportFailures: unknown[] };
    expect(out.exportFailures).toEqual([]);
    expect(out.exports.map((e) => e.name).sort()).toEqual(['export/00000-of-00003', 'export/00001-of-00003', 'export/00002-of-00003']);
    const keys: string[] = [];
    for (const e of out.exports) keys.push(...(await exportedSamples(path.join(plan.output, e.name))).map((x) => x.key));
    expect(keys.sort()).toEqual(selection.filter((s) => s.kept).map((s) => s.key).sort());
    const again = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', '3', '--export', 'webdataset', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as typeof out).exports).toHaveLength(3);
  }, 240_000);
});

describe('export per shard on object storage (s3rver)', () => {
  it('reads only the tables it needs and exports the kept keys', async () => {
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(root, 's3'), configureBuckets: [{ name: 'bucket', configs: [] }] });
    const { port } = (await server.run()) as AddressInfo;
    const env = { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const plan = plans[3];
      const storage = S3Storage.fromUrl('s3://bucket/run');
      // The filesystem run's committed outputs, committed again on the object store.
      for (const name of [RESULT, 'shards/00000-of-00003', 'shards/00001-of-00003', 'shards/00002-of-00003']) {
        const copy = path.join(await storage.stagingRoot(), `copy-${path.basename(name)}`);
        await cp(path.join(plan.output, name), copy, { recursive: true });
        expect(await storage.commit(name, copy)).toBe(true);
      }
      const units = await planUnits(plan);
      const keys: string[] = [];
      for (let index = 0; index < 3; index++) {
        const summary = await exportShard(plan, shardOf(units, { index, count: 3 }), { storage });
        expect(summary.committed).toBe(true);
        keys.push(...(await exportedSamples(await storage.open(summary.name))).map((e) => e.key));
      }
      expect(keys.sort()).toEqual(selection.filter((x) => x.kept).map((x) => x.key).sort());
      // The merged matrices stayed on the store: only selection.parquet came down.
      expect(await readdir(path.dirname(await storage.openFile(RESULT, 'selection.parquet')))).toEqual(['selection.parquet']);
      expect((await exportShard(plan, shardOf(units, { index: 0, count: 3 }), { storage })).alreadyCommitted).toBe(true);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await server.close();
    }
  }, 120_000);
});
