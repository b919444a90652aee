// Reads what an export needs for a page of items in one query, and each item's bytes with the media server's checks (root realpaths cached).
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ItemT } from '../../domain/project';
import { embeddedOf, readEmbedded } from '../media/embedded';
import { sourceRoots } from '../ingest/open-source';
import type { Project } from '../project';

interface Row {
  id: number; source_id: number; key: string; uri: string; format: string | null; width: number | null; height: number | null;
  bytes: number | null; sha256: string | null; extra: string | null; provenance: string | null; caption: string | null; caption_origin: string | null;
}

export interface LoadedItem { item: ItemT; provenance: Record<string, unknown> | null }

const toLoaded = (r: Row): LoadedItem => ({
  item: {
    id: r.id, sourceId: r.source_id, key: r.key, uri: r.uri, format: r.format, width: r.width, height: r.height, bytes: r.bytes, sha256: r.sha256,
    caption: r.caption, captionOrigin: r.caption_origin, extra: r.extra ? JSON.parse(r.extra) : null, issueCount: 0,
  },
  provenance: r.provenance ? JSON.parse(r.provenance) : null,
});

export class ItemReader {
  private readonly stmt;
  private readonly roots = new Map<string, Promise<string | null>>();
  private sourceRoots: Map<number, string>;

  constructor(private readonly project: Project) {
    // Ids as a JSON array: one statement per page of the selection however long the page, rows in id order.
    this.stmt = project.db.prepare(`SELECT i.id, i.source_id, i.key, i.uri, i.format, i.width, i.height, i.bytes, i.sha256, i.extra, i.provenance,
      c.text caption, c.origin caption_origin FROM items i LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1
      WHERE i.id IN (SELECT value FROM json_each(?)) ORDER BY i.id`);
    this.sourceRoots = sourceRoots(project);
  }

  /** The items of a page of ids (a JSON array), by id; an id with no item (deleted since) is absent. */
  page(idsJson: string): Map<number, LoadedItem> {
    const out = new Map<number, LoadedItem>();
    // The first row per id, as a per-item get() took (a second primary caption would add a row).
    for (const r of this.stmt.iterate(idsJson) as Iterable<Row>) if (!out.has(r.id)) out.set(r.id, toLoaded(r));
    return out;
  }

  private root(dir: string): Promise<string | null> {
    let p = this.roots.get(dir);
    if (!p) {
      p = realpath(dir).catch(() => null);
      this.roots.set(dir, p);
    }
    return p;
  }

  /** The item's bytes; throws with a reason when it has none or its file lies outside its source (or downloads/). */
  async bytes(item: ItemT, provenance: Record<string, unknown> | null): Promise<Buffer> {
    const downloaded = typeof provenance?.downloaded === 'string' ? provenance.downloaded : null;
    if (/^https?:\/\//i.test(item.uri) && !downloaded) throw new Error('a remote URL that has not been downloaded');
    const embedded = downloaded ? null : embeddedOf(provenance);
    const target = downloaded ? path.join(this.project.dir, downloaded) : embedded ? item.uri.slice(0, item.uri.lastIndexOf('#')) : item.uri;
    if (!downloaded && !this.sourceRoots.has(item.sourceId)) this.sourceRoots = sourceRoots(this.project);
    const rootDir = downloaded ? path.join(this.project.dir, 'downloads') : this.sourceRoots.get(item.sourceId);
    const root = rootDir ? await this.root(rootDir) : null;
    if (!root) throw new Error('its source folder is gone');
    const real = await realpath(target).catch(() => null);
    if (!real) throw new Error(`file missing: ${target}`);
    const rel = path.relative(root, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error('its file lies outside its source');
    const data = embedded ? await readEmbedded(real, embedded) : await readFile(real);
    // What is exported must be what was imported: a changed file (or a project file pointing an item elsewhere) is refused.
    if (item.sha256 && createHash('sha256').update(data).digest('hex') !== item.sha256) throw new Error('its bytes no longer match the sha256 recorded at import');
    return data;
  }
}
