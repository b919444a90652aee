import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { NewItem } from '../store/items';
import type { Project } from '../project';
import type { IngestEntry } from './entry';
import { type FinalAnnotation, finalizeAnnotations } from './annotations';
import { probeBuffer, probeImage, UnreadableImage } from './probe';
import { openSource } from './open-source';
import { mapLimit } from '../jobs/map-limit';

export const ImportParams = z.object({ sourceId: z.number().int().positive() });
export type ImportParams = z.output<typeof ImportParams>;
const ImportCheckpoint = z.object({ position: z.number().int().nonnegative() });
/** Entries of the source read (items, skipped and bad ones alike). */
const ImportResult = z.object({ sourceId: z.number().int(), entries: z.number().int() });

const BATCH = 256;
/** Embedded sources (tar members, parquet cells) carry their bytes: a batch is also flushed at this many bytes. */
const BATCH_BYTES = 64 * 1024 * 1024;
const PROBE_CONCURRENCY = 8;

type Outcome =
  | { entry: IngestEntry; item: NewItem; warning: string | null; annotations: FinalAnnotation[]; annotationIssue?: string }
  | { entry: IngestEntry; issue: { kind: string; message: string; location: string } };

/** Streams a source into the project's items: probe in parallel, write each batch with its checkpoint. */
export function importJob(project: Project) {
  return defineJob({
    kind: 'import',
    params: ImportParams, checkpoint: ImportCheckpoint, result: ImportResult,
    title: (p) => `Import ${project.sources.get(p.sourceId)?.name ?? `source ${p.sourceId}`}`,
    async run(ctx) {
      const source = project.sources.get(ctx.params.sourceId);
      if (!source) throw new Error(`source ${ctx.params.sourceId} no longer exists`);
      const ingest = openSource(source.kind, source.path);
      ctx.setTotal(await ingest.count(ctx.signal));
      let position = ctx.checkpoint?.position ?? 0;
      let batch: IngestEntry[] = [];
      const flush = async () => {
        const outcomes = await mapLimit(batch, PROBE_CONCURRENCY, probeEntry);
        position += batch.length;
        batch = [];
        let added = 0;
        ctx.commit(() => {
          for (const o of outcomes) {
            if ('issue' in o) {
              project.issues.add({ jobId: ctx.jobId, sourceId: source.id, ...o.issue });
              continue;
            }
            const id = project.items.insert(source.id, o.item);
            if (id !== null) added++;
            if (id !== null) for (const a of o.annotations) project.annotations.insert(id, a);
            if (id !== null && o.annotationIssue) {
              project.issues.add({ severity: 'warning', kind: 'bad_annotation', message: o.annotationIssue, sourceId: source.id, itemId: id, jobId: ctx.jobId, location: o.item.key });
            }
            if (id !== null && o.warning) {
              project.issues.add({ severity: 'warning', kind: 'extension_mismatch', message: o.warning, sourceId: source.id, itemId: id, jobId: ctx.jobId, location: o.item.key });
            }
          }
        }, position, { position });
        project.notifyItemsChanged(source.id, added, outcomes.some((o) => 'issue' in o || o.warning));
      };
      let batchBytes = 0;
      for await (const entry of ingest.entries(position, ctx.signal)) {
        batch.push(entry);
        if (entry.type === 'embedded') batchBytes += entry.data.length;
        if (batch.length >= BATCH || batchBytes >= BATCH_BYTES) {
          batchBytes = 0;
          await flush();
        }
      }
      if (batch.length) await flush();
      return { sourceId: source.id, entries: position };
    },
  });
}

async function probeEntry(entry: IngestEntry): Promise<Outcome> {
  if (entry.type === 'bad') return { entry, issue: { kind: entry.kind, message: entry.message, location: entry.location } };
  const base = { key: entry.key, caption: entry.caption, captionOrigin: entry.captionOrigin, extra: entry.extra, provenance: entry.provenance ?? null };
  if (entry.type === 'remote') {
    const anns = finalizeAnnotations(entry.annotations, null, null);
    return { entry, item: { ...base, uri: entry.url, format: null, width: null, height: null, bytes: null, sha256: null }, warning: null, annotations: anns.annotations, annotationIssue: anns.issue };
  }
  try {
    const p = entry.type === 'file' ? await probeImage(entry.file) : probeBuffer(entry.data, entry.name);
    const anns = finalizeAnnotations(entry.annotations, p.width, p.height);
    const uri = entry.type === 'file' ? entry.file : entry.uri;
    return {
      entry, item: { ...base, uri, format: p.format, width: p.width, height: p.height, bytes: p.bytes, sha256: p.sha256 },
      warning: p.extensionMismatch, annotations: anns.annotations, annotationIssue: anns.issue,
    };
  } catch (err) {
    const kind = err instanceof UnreadableImage ? err.kind : 'unreadable';
    return { entry, issue: { kind, message: `${entry.key}: ${(err as Error).message}`, location: entry.key } };
  }
}
