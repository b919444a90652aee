import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Header } from 'tar-stream';
import { MAX_MEMBER_BYTES, unsafeMember } from './archive-safety';
import type { EntryProblem, IngestEntry, IngestSource, Provenance } from './entry';
import { parseJsonGuarded } from './json-depth';
import { takePortable } from './portable';

const IMAGE_EXT = new Set(['jpg', 'jpeg', 'png', 'webp']);
const CAPTION_FIELDS = ['caption', 'text', 'TEXT'];

interface Member { name: string; ext: string; offset: number; size: number; data: Buffer | null }
interface Sample { key: string; members: Member[] }
type Event = { sample: Sample } | { bad: { key: string; kind: string; message: string } };

/**
 * img2dataset WebDataset shards (`NNNNN.tar` holding `KEY.jpg|png|webp`, `KEY.txt`, `KEY.json`), streamed with tar-stream
 * and never extracted: an item's uri is `<shard>#<member>` and its provenance records the member's byte range in the tar.
 */
export class WebDatasetSource implements IngestSource {
  readonly root: string;

  constructor(readonly location: string) {
    this.root = location.toLowerCase().endsWith('.tar') ? path.dirname(location) : location;
  }

  async shards(): Promise<string[]> {
    if ((await stat(this.location)).isFile()) return [this.location];
    const names = (await readdir(this.location)).filter((n) => n.toLowerCase().endsWith('.tar') && !n.startsWith('.')).sort();
    return names.map((n) => path.join(this.location, n));
  }

  /** Samples per shard from img2dataset's `NNNNN_stats.json` when present (cheap), else by reading the shard's headers. */
  async count(signal?: AbortSignal): Promise<number> {
    let n = 0;
    for (const shard of await this.shards()) {
      const stats = await readFile(shard.replace(/\.tar$/i, '_stats.json'), 'utf8').then((s) => JSON.parse(s) as { successes?: unknown }, () => null);
      if (stats && typeof stats.successes === 'number') n += stats.successes;
      else for await (const _ of this.events(shard, false, signal)) n++;
    }
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    let position = 0;
    for (const shard of await this.shards()) {
      // A shard whose entries all lie before the resume position is still read (tar has no index), but nothing is kept.
      for await (const ev of this.events(shard, true, signal, () => position < skip)) {
        if (position++ < skip) continue;
        yield this.toEntry(shard, ev);
      }
    }
  }

  private toEntry(shard: string, ev: Event): IngestEntry {
    const shardName = path.basename(shard);
    if ('bad' in ev) return { type: 'bad', key: `${shardName}/${ev.bad.key}`, location: `${shardName}:${ev.bad.key}`, kind: ev.bad.kind, message: ev.bad.message };
    const { key, members } = ev.sample;
    const image = members.find((m) => IMAGE_EXT.has(m.ext));
    const itemKey = `${shardName}/${key}`;
    if (!image || !image.data) return { type: 'bad', key: itemKey, location: `${shardName}:${key}`, kind: 'no_image', message: `sample ${key} in ${shardName} has no image member` };
    const txt = members.find((m) => m.ext === 'txt')?.data?.toString('utf8') ?? null;
    let json: Record<string, unknown> | null = null;
    const problems: EntryProblem[] = [];
    const jsonMember = members.find((m) => m.ext === 'json');
    if (jsonMember?.data) {
      // A bad sidecar costs the sample its metadata, not its image: imported without it, with an issue.
      const parsed = parseJsonGuarded(jsonMember.data.toString('utf8'));
      const where = `${shardName}:${jsonMember.name}`;
      if ('error' in parsed) problems.push({ kind: parsed.kind === 'too_deep' ? 'too_deep' : 'bad_row', message: `${jsonMember.name}: ${parsed.error}; sample imported without it`, location: where });
      else if (parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) json = parsed.value as Record<string, unknown>;
      else problems.push({ kind: 'bad_row', message: `${jsonMember.name} is not a JSON object; sample imported without it`, location: where });
    }
    const portable = json ? takePortable(json) : null;
    for (const message of portable?.problems ?? []) problems.push({ kind: 'bad_annotation', message, location: `${shardName}:${jsonMember!.name}` });
    const jsonCaption = json ? CAPTION_FIELDS.map((f) => json![f]).find((v) => typeof v === 'string') as string | undefined : undefined;
    // img2dataset writes an empty .txt for a sample without a caption (and "caption": null in its json).
    const txtCaption = txt !== null && txt.trim() !== '' ? txt : null;
    const caption = txtCaption ?? jsonCaption ?? null;
    const provenance: Provenance = { source: 'webdataset', shard: shardName, key, member: image.name, offset: image.offset, size: image.size };
    return {
      type: 'embedded', key: itemKey, uri: `${shard}#${image.name}`, name: image.name, data: image.data,
      caption: caption === null ? null : caption.trim(), captionOrigin: txtCaption !== null ? 'webdataset.txt' : jsonCaption !== undefined ? 'webdataset.json' : null,
      extra: json, provenance, problems, annotations: portable?.annotations, scores: portable?.scores,
    };
  }

  /** Samples of one shard in archive order; refused members and an unreadable shard become bad events. */
  private async *events(shard: string, keepData: boolean, signal?: AbortSignal, skipping?: () => boolean): AsyncIterable<Event> {
    // Loaded on first use (a dynamic import), so commands that never read this format start without it.
    const { extract: tarExtract } = await import('tar-stream');
    const ex = tarExtract();
    const input = createReadStream(shard);
    input.on('error', (err) => ex.destroy(err));
    input.pipe(ex);
    let current: Sample | null = null;
    try {
      for await (const entry of ex) {
        signal?.throwIfAborted();
        const header = entry.header as Header & { byteOffset?: number };
        const name = header.name;
        const refused = unsafeMember(name, header.type, header.size);
        if (refused) {
          entry.resume();
          if (header.type === 'directory') continue;
          yield { bad: { key: name, ...refused } };
          continue;
        }
        if (header.type === 'directory') { entry.resume(); continue; }
        const base = name.split('/').pop()!;
        const dot = base.indexOf('.');
        const key = (dot < 0 ? name : name.slice(0, name.length - base.length + dot));
        const ext = dot < 0 ? '' : base.slice(dot + 1).toLowerCase();
        if (current && current.key !== key) {
          yield { sample: current };
          current = null;
        }
        current ??= { key, members: [] };
        const wanted = keepData && !(skipping?.() ?? false) && (IMAGE_EXT.has(ext) || ext === 'txt' || ext === 'json');
        let data: Buffer | null = null;
        if (wanted) {
          const chunks: Buffer[] = [];
          let total = 0;
          for await (const c of entry) {
            total += (c as Buffer).length;
            if (total > MAX_MEMBER_BYTES) throw new Error(`member ${name} exceeds ${MAX_MEMBER_BYTES} bytes`);
            chunks.push(c as Buffer);
          }
          data = Buffer.concat(chunks);
        } else {
          entry.resume();
          await new Promise<void>((resolve, reject) => { entry.once('end', resolve); entry.once('error', reject); });
        }
        current.members.push({ name, ext, offset: header.byteOffset ?? -1, size: header.size ?? 0, data });
      }
      if (current) yield { sample: current };
    } catch (err) {
      if (signal?.aborted) throw err;
      if (current) yield { sample: current };
      yield { bad: { key: '*', kind: 'bad_archive', message: `${path.basename(shard)} stopped being readable: ${(err as Error).message}` } };
    } finally {
      input.destroy();
    }
  }
}
