import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { NewItem } from '../store/items';
import type { Project } from '../project';
import type { EntryProblem, IngestEntry } from './entry';
import { cleanCaption } from './caption-clean';
import { MAX_JSON_DEPTH, tooDeepMessage, valueDepth } from './json-depth';
import { type FinalAnnotation, finalizeAnnotations } from './annotations';
import { type Probe, probeBuffer, probeRead, UnreadableImage } from './probe';
import { openSource } from './open-source';
import { type FileReads, workerReads } from './file-reads';
import type { ImageRead } from './read-files.mjs';
import { SignalStore } from '../curate/signals';

export const ImportParams = z.object({ sourceId: z.number().int().positive() });
export type ImportParams = z.output<typeof ImportParams>;
const ImportCheckpoint = z.object({ position: z.number().int().nonnegative() });
/** Entries of the source read (items, skipped and bad ones alike). */
const ImportResult = z.object({ sourceId: z.number().int(), entries: z.number().int() });

const BATCH = 256;
/** Embedded sources (tar members, parquet cells) carry their bytes: a batch is also flushed at this many bytes. */
const BATCH_BYTES = 64 * 1024 * 1024;

type Outcome =
  | { entry: IngestEntry; item: NewItem; warning: string | null; annotations: FinalAnnotation[]; problems: EntryProblem[] }
  | { entry: IngestEntry; issue: { kind: string; message: string; location: string; detail?: string; severity?: 'error' | 'warning' } };

/** Streams a source into the project's items: probe in parallel, write each batch with its checkpoint. */
export function importJob(project: Project) {
  return defineJob({
    kind: 'import',
    params: ImportParams, checkpoint: ImportCheckpoint, result: ImportResult,
    title: (p) => `Import ${project.sources.get(p.sourceId)?.name ?? `source ${p.sourceId}`}`,
    async run(ctx) {
      const source = project.sources.get(ctx.params.sourceId);
      if (!source) throw new Error(`source ${ctx.params.sourceId} no longer exists`);
      // Caption sidecars and image files are read (and hashed) on a worker thread: on two cores those reads
      // overlap this thread's walk and SQLite writes.
      const reads = workerReads();
      const ingest = openSource(source.kind, source.path, reads);
      // The total is counted alongside the import, not before it: a second pass over the source (a folder walk,
      // a manifest's lines) no longer delays the first item. Progress has no total until the count lands.
      const counting = ingest.count(ctx.signal).then((total) => ctx.setTotal(total), () => undefined);
      let position = ctx.checkpoint?.position ?? 0;
      let batch: IngestEntry[] = [];
      const signals = new SignalStore(project.db);
      // Scores carried by an imported Winnow export are signals of one run per import: their original model is not known here.
      let scoreRun: number | null = null;
      const scoreRunId = () => (scoreRun ??= project.runs.forJob(ctx.jobId, 'import', { model: 'import', params: { imported: source.name } }));
      // One batch is probed while the source reads the next and the previous one commits: the walk, caption
      // reads and header/sha256 probes overlap, and batches still commit in order with their checkpoint.
      let inFlight: Promise<void> = Promise.resolve();
      const commit = (entries: number, outcomes: Outcome[]) => {
        position += entries;
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
            // Refused annotations, cleaned captions, unreadable sidecars: the item is kept, each problem is one issue.
            if (id !== null) for (const p of o.problems) project.issues.add({ severity: p.severity ?? 'warning', kind: p.kind, message: p.message, detail: p.detail, sourceId: source.id, itemId: id, jobId: ctx.jobId, location: p.location });
            if (id !== null && o.entry.type !== 'bad' && o.entry.scores) for (const [name, v] of Object.entries(o.entry.scores)) signals.set(id, name, v, scoreRunId());
            if (id !== null && o.warning) {
              project.issues.add({ severity: 'warning', kind: 'extension_mismatch', message: o.warning, sourceId: source.id, itemId: id, jobId: ctx.jobId, location: o.item.key });
            }
          }
        }, position, { position });
        project.notifyItemsChanged(source.id, added, outcomes.some((o) => 'issue' in o || o.warning || o.problems.length));
      };
      const flush = async () => {
        const entries = batch;
        batch = [];
        const probed = probeBatch(entries, reads);
        probed.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile
        const previous = inFlight;
        inFlight = (async () => {
          const outcomes = await probed;
          await previous;
          commit(entries.length, outcomes);
        })();
        await previous; // at most two batches in flight: memory stays bounded
      };
      let batchBytes = 0;
      /** Adds an entry to the batch; true when the batch is full. */
      const add = (entry: IngestEntry): boolean => {
        batch.push(entry);
        if (entry.type === 'embedded') batchBytes += entry.data.length;
        if (batch.length < BATCH && batchBytes < BATCH_BYTES) return false;
        batchBytes = 0;
        return true;
      };
      try {
        if (ingest.entryBatches) {
          for await (const group of ingest.entryBatches(position, ctx.signal)) for (const entry of group) if (add(entry)) await flush();
        } else {
          for await (const entry of ingest.entries(position, ctx.signal)) if (add(entry)) await flush();
        }
        if (batch.length) await flush();
      } finally {
        await inFlight;
        await counting;
        await reads.close();
      }
      return { sourceId: source.id, entries: position };
    },
  });
}

/** Reads a batch's image files in one request (to the worker), then decides each entry's outcome. */
async function probeBatch(entries: IngestEntry[], reads: FileReads): Promise<Outcome[]> {
  const read = await reads.images(entries.filter((e) => e.type === 'file').map((e) => e.file));
  let k = 0;
  return entries.map((e) => outcome(e, e.type === 'file' ? read[k++] : null));
}

/** `read` is the file's read (file entries only). */
function outcome(entry: IngestEntry, read: ImageRead | null): Outcome {
  if (entry.type === 'bad') return { entry, issue: { kind: entry.kind, message: entry.message, location: entry.location, detail: entry.detail, severity: entry.severity } };
  // Metadata nested past the limit would overflow the stack when stored: the whole row is refused, the job goes on.
  const depth = valueDepth(entry.extra);
  if (depth > MAX_JSON_DEPTH) return { entry, issue: { kind: 'too_deep', message: `${entry.key}: metadata ${tooDeepMessage(depth)}`, location: entry.location ?? entry.key } };
  const cleaned = captionProblems(entry);
  const problems = entry.problems?.length ? (cleaned.length ? [...entry.problems, ...cleaned] : entry.problems) : cleaned;
  if (entry.type === 'remote') {
    const anns = finalizeAnnotations(entry.annotations, null, null, entry.location ?? entry.key);
    return { entry, item: newItem(entry, entry.url, null), warning: null, annotations: anns.annotations, problems: withProblems(problems, anns.problems) };
  }
  try {
    const p = entry.type === 'file' ? probeRead(read!, entry.file) : probeBuffer(entry.data, entry.name);
    const anns = finalizeAnnotations(entry.annotations, p.width, p.height, entry.location ?? entry.key);
    return { entry, item: newItem(entry, entry.type === 'file' ? entry.file : entry.uri, p), warning: p.extensionMismatch, annotations: anns.annotations, problems: withProblems(problems, anns.problems) };
  } catch (err) {
    const kind = err instanceof UnreadableImage ? err.kind : 'unreadable';
    return { entry, issue: { kind, message: `${entry.key}: ${(err as Error).message}`, location: entry.location ?? entry.key } };
  }
}

/** One literal per item: spreading a shared base object into each cost ~12 µs per item, most of an outcome at 10k items. */
function newItem(entry: Exclude<IngestEntry, { type: 'bad' }>, uri: string, p: Probe | null): NewItem {
  return {
    key: entry.key, uri, format: p?.format ?? null, width: p?.width ?? null, height: p?.height ?? null, bytes: p?.bytes ?? null, sha256: p?.sha256 ?? null,
    caption: entry.caption, captionOrigin: entry.captionOrigin, extra: entry.extra, provenance: entry.provenance ?? null,
  };
}

const withProblems = (a: EntryProblem[], b: EntryProblem[]) => (b.length ? [...a, ...b] : a);

/** Applies the caption rule (caption-clean.ts) to the caption and to extra captions (COCO's `extra.captions`), in place. */
function captionProblems(entry: Exclude<IngestEntry, { type: 'bad' }>): EntryProblem[] {
  const found: string[] = [];
  const clean = (raw: string) => {
    const c = cleanCaption(raw);
    found.push(...c.problems);
    return c.text;
  };
  if (entry.caption !== null) entry.caption = clean(entry.caption);
  const more = entry.extra?.captions;
  if (Array.isArray(more)) entry.extra!.captions = more.map((c) => (typeof c === 'string' ? clean(c) : c));
  if (!found.length) return [];
  return [{ kind: 'bad_caption', severity: 'warning', message: `caption cleaned: ${[...new Set(found)].join(', ')}`, location: entry.location ?? entry.key }];
}
