// A sample of a merged result as one Parquet file a project imports like any source: image bytes (read
// back from the original files and tar members), caption, every merged signal as a `score:<signal>`
// column (imported as signals) and the item's key, shard provenance, duplicate group and the merge's
// decision as metadata. The sample is the N rows with the smallest hash of their key (deterministic,
// spread over every shard and source), closed over duplicate keepers: a sampled copy brings its group's
// keeper, so the merged groups hold inside the sample. Rows are written in merged order, so a project's
// ids follow it and its own "first member keeps" agrees with the merge. Everything is read as a stream:
// memory is the sample, not the result.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationT, RuleInput, RuleT } from '../../domain/curation';
import { normalizeRule } from '../curate/rules';
import type { DupKind } from '../store/dup-groups';
import { embeddedOf, readEmbedded } from '../media/embedded';
import { ItemTableReader, RowGroupReader, type ItemRow } from './item-table';
import { type ColumnType, TableWriter } from './parquet-out';

/** A merged duplicate group restricted to the sample, members and keeper as `source/key`. */
export interface SampleGroup { kind: DupKind; keeper: string; members: string[] }

export interface SampleSummary { file: string; rows: number; of: number; unreadable: number; groups: SampleGroup[] }

const rank = (key: string) => createHash('sha1').update(key).digest('hex');
const keyOf = (r: { source?: unknown; key?: unknown }) => `${Number(r.source)}/${String(r.key)}`;

async function bytesOf(row: ItemRow): Promise<Buffer> {
  const uri = row.uri ?? '';
  const hash = uri.lastIndexOf('#');
  const where = embeddedOf(row.provenance ? (JSON.parse(row.provenance) as Record<string, unknown>) : null);
  if (hash > 0 && where) return readEmbedded(uri.slice(0, hash), where);
  return readFile(uri);
}

/** The `n` keys of rows with an image vector that have the smallest rank (all of them without `n`). */
async function pickKeys(items: string, n: number | undefined): Promise<{ keys: Set<string>; of: number }> {
  let best: Array<{ key: string; h: string }> = [];
  let of = 0;
  const trim = () => { best.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0)); best = best.slice(0, n); };
  for await (const row of (await ItemTableReader.open(items)).items()) {
    if (row.image_row === null) continue;
    of++;
    const key = keyOf(row);
    best.push({ key, h: n === undefined ? '' : rank(key) });
    if (n !== undefined && best.length >= 2 * n) trim();
  }
  if (n !== undefined) trim();
  return { keys: new Set(best.map((b) => b.key)), of };
}

/** Merged groups with a sampled member, restricted to the sample; adds their keepers to `keys`. */
async function sampleGroups(duplicates: string, keys: Set<string>): Promise<SampleGroup[]> {
  const out: SampleGroup[] = [];
  let current: Array<Record<string, unknown>> = [];
  const close = () => {
    const members = current.map(keyOf);
    const keeper = current.find((m) => m.keeper);
    const inSample = keeper ? members.filter((m) => keys.has(m) || m === keyOf(keeper)) : [];
    if (keeper && inSample.length > 1) out.push({ kind: String(current[0].kind) as DupKind, keeper: keyOf(keeper), members: inSample });
    current = [];
  };
  // Rows come grouped (the merge writes them group by group).
  for await (const group of (await RowGroupReader.open(duplicates)).records()) {
    for (const r of group) {
      if (current.length && current[0].group !== r.group) close();
      current.push(r);
    }
  }
  if (current.length) close();
  for (const g of out) keys.add(g.keeper);
  return out;
}

/** The merge's decisions for the sampled keys (selection.parquet). */
async function decisions(selection: string, keys: Set<string>): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for await (const group of (await RowGroupReader.open(selection)).records()) for (const r of group) if (keys.has(keyOf(r))) out.set(keyOf(r), Boolean(r.kept));
  return out;
}

export async function writeResultSample(resultDir: string, n: number | undefined, outFile: string): Promise<SampleSummary> {
  const items = path.join(resultDir, 'items.parquet');
  const { keys, of } = await pickKeys(items, n);
  const groups = await sampleGroups(path.join(resultDir, 'duplicates.parquet'), keys);
  const kept = await decisions(path.join(resultDir, 'selection.parquet'), keys).catch(() => new Map<string, boolean>());
  const table = await ItemTableReader.open(items);
  const dupOf = new Map<string, SampleGroup>();
  for (const g of groups) for (const m of g.members) if (!dupOf.has(m)) dupOf.set(m, g);
  const meta = (r: ItemRow) => {
    const key = keyOf(r);
    const dup = dupOf.get(key);
    return JSON.stringify({ cluster: {
      key: r.key, source: r.source, uri: r.uri, sha256: r.sha256,
      ...(dup && { duplicateKind: dup.kind, keeper: dup.keeper === key }), ...(kept.has(key) && { kept: kept.get(key) }),
    } });
  };
  const columns: Array<[string, ColumnType]> = [['key', 'STRING'], ['caption', 'STRING'], ['image', 'BYTE_ARRAY'], ['metadata', 'STRING'], ...table.signalNames.map((s): [string, ColumnType] => [`score:${s}`, 'DOUBLE'])];
  const writer = new TableWriter(outFile, columns, 256);
  let unreadable = 0;
  // The picked rows, read again in merged order.
  for await (const row of table.items()) {
    if (row.image_row === null || !keys.has(keyOf(row))) continue;
    let bytes: Buffer;
    try {
      bytes = await bytesOf(row);
    } catch {
      unreadable++;
      continue;
    }
    writer.add({
      key: keyOf(row), caption: row.caption, image: new Uint8Array(bytes), metadata: meta(row),
      ...Object.fromEntries(table.signalNames.map((s) => [`score:${s}`, row.signals[s] ?? null])),
    });
  }
  writer.finish();
  return { file: outFile, rows: writer.rows, of, unreadable, groups };
}

/**
 * The plan's rules as the merge applied them: a keepTop rule becomes the threshold the merge resolved
 * (a quantile of the sample would differ from the quantile of the whole result).
 */
export function resolvedRules(rules: readonly (RuleT | RuleInput)[], evaluation: EvaluationT | undefined): RuleT[] {
  return rules.map(normalizeRule).map((r) => {
    const t = evaluation?.rules.find((x) => x.id === r.id)?.threshold;
    if (r.keepTop === undefined || t === null || t === undefined) return r;
    const { keepTop: _, ...rest } = r;
    return { ...rest, op: r.op === '<' || r.op === '<=' ? '<=' : '>=', threshold: t };
  });
}

