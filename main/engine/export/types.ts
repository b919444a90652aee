import type { ItemT } from '../../domain/project';
import type { Annotation } from '../store/annotations';
import type { WrittenCounts } from './tally';

/** One score the curator chose to export (a signal such as `clip.pair`), with the model that computed it. */
export interface ExportScore { name: string; value: number; model: string | null }

/** One exported item: the item, its annotations after review decisions, where it came from, and its bytes on demand. */
export interface ExportRecord {
  /** 0-based position in the export. */
  index: number;
  item: ItemT;
  /** Boxes, masks and image-level labels after review decisions (rejected dropped, proposed only on request). */
  annotations: Annotation[];
  /** The chosen scores this item has (an item without a caption has no `clip.pair`). */
  scores: ExportScore[];
  /** Name of the source the item came from. */
  source: string | null;
  provenance: Record<string, unknown> | null;
  /** The image bytes, or null when the item has none (a URL not downloaded, a vanished file). */
  bytes(): Promise<Buffer | null>;
}

export interface WriterContext {
  /** The partial folder being written; becomes the destination on success. */
  dir: string;
  /** Joins a relative path under `dir`, refusing anything that would land outside it. */
  file(rel: string): string;
  options: Record<string, unknown>;
  /** Items the export selected (for shard sizes and progress). */
  total: number;
  signal: AbortSignal;
  warn(message: string, itemId?: number): void;
}

/** What a writer reports for the dataset card. */
export interface WriterSummary {
  written: number;
  skipped: number;
  files: string[];
  notes: string[];
  counts: WrittenCounts;
  /** What this format holds, and what it had no place for (the card says both). */
  carries: string[];
  leftOut: string[];
}

export interface FormatWriter {
  add(record: ExportRecord): Promise<void>;
  finish(): Promise<WriterSummary>;
  /** Closes open files after a failure (a write error, a cancel) so the partial folder can be removed. */
  abort?(): Promise<void> | void;
}

export interface OptionSpec {
  name: string;
  /** Short human label for the UI. */
  label: string;
  type: 'boolean' | 'number' | 'string' | 'enum';
  default: boolean | number | string | null;
  description: string;
  choices?: string[];
  min?: number;
  max?: number;
}

export interface ExportFormatSpec {
  id: string;
  name: string;
  description: string;
  options: OptionSpec[];
  /** Items this format can write without image bytes (manifests, parquet) or not. */
  needsImages: boolean;
  create(ctx: WriterContext): Promise<FormatWriter> | FormatWriter;
  /** Why this export cannot run with these options (checked before a job is created), or null. */
  check?(options: Record<string, unknown>): string | null;
}

export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'includeProposed', label: 'Include unreviewed proposals', type: 'boolean', default: false, description: 'Also export model annotations still awaiting review (state "proposed")' },
  { name: 'overwrite', label: 'Overwrite destination', type: 'boolean', default: false, description: 'Replace the destination folder if it exists' },
  { name: 'scores', label: 'Scores', type: 'string', default: 'clip.pair', description: 'Comma-separated signal names exported as scores (empty: none, * : every signal); label confidences always go with their labels' },
  { name: 'includeUndecodable', label: 'Include undecodable items', type: 'boolean', default: false, description: 'Also export items Winnow could not decode (left out by default)' },
];

/** Options with defaults filled in and types checked against the spec. */
export function resolveOptions(specs: OptionSpec[], given: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set(specs.map((s) => s.name));
  for (const k of Object.keys(given)) if (!known.has(k)) throw new Error(`unknown option "${k}" (known: ${[...known].join(', ')})`);
  for (const s of specs) {
    let v = given[s.name] ?? s.default;
    if (v === null || v === undefined) { out[s.name] = null; continue; }
    if (s.type === 'number') {
      v = typeof v === 'string' ? Number(v) : v;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`option ${s.name} must be a number`);
      if ((s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max)) throw new Error(`option ${s.name} must be within ${s.min}..${s.max}`);
    } else if (s.type === 'boolean') {
      v = v === 'true' ? true : v === 'false' ? false : v;
      if (typeof v !== 'boolean') throw new Error(`option ${s.name} must be true or false`);
    } else if (s.type === 'enum') {
      if (!s.choices!.includes(String(v))) throw new Error(`option ${s.name} must be one of ${s.choices!.join(', ')}`);
      v = String(v);
    } else v = String(v);
    out[s.name] = v;
  }
  return out;
}

export const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** File extension for an item's stored format. */
export function extensionOf(format: string | null): string {
  if (format === 'jpg' || format === 'jpeg') return 'jpg';
  return format && /^[a-z0-9]{1,5}$/.test(format) ? format : 'bin';
}
