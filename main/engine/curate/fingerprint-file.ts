// Decodes items into the grey fingerprints pixel-verify.ts aligns (wherever the bytes live: file, tar
// member, parquet cell, download). Unreadable items give null: their pairs fall back to the cosine alone.
import sharp from '../media/lazy-sharp';
import { MAX_PIXELS } from '../ingest/probe';
import { mapLimit } from '../jobs/map-limit';
import { readItemBytes } from '../media/resolve';
import type { Project } from '../project';
import { FP_SIZE, type Fingerprint, fingerprint } from './pixel-verify';

export async function fingerprintBytes(data: Buffer): Promise<Fingerprint> {
  const img = sharp(data, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
  const meta = await img.metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? FP_SIZE;
  const height = meta.autoOrient?.height ?? meta.height ?? FP_SIZE;
  const raw = await img.flatten({ background: '#808080' }).greyscale().resize(FP_SIZE, FP_SIZE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const grey = new Float32Array(FP_SIZE * FP_SIZE);
  const step = raw.info.channels;
  for (let i = 0; i < grey.length; i++) grey[i] = raw.data[i * step];
  return fingerprint(width, height, grey);
}

/** Fingerprints of the given items (at most `concurrency` decodes in flight); null where an item cannot be read. */
export async function fingerprintItems(project: Project, ids: number[], concurrency = 3, signal?: AbortSignal): Promise<Map<number, Fingerprint | null>> {
  const out = new Map<number, Fingerprint | null>();
  await mapLimit(ids, concurrency, async (id) => {
    if (signal?.aborted) return;
    try {
      out.set(id, await fingerprintBytes((await readItemBytes(project, id)).data));
    } catch {
      out.set(id, null);
    }
  });
  return out;
}
