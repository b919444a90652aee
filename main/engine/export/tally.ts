// What a writer actually wrote, counted as it writes: the dataset card is built from this, never from the project database.
import type { WriterSummary } from './types';

export interface WrittenCounts {
  items: number;
  captions: number;
  /** Image-level labels written, by label. */
  labels: Map<string, number>;
  /** Boxes and masks written, by label. */
  objects: Map<string, number>;
  masks: number;
  /** Score values written, by score name. */
  scores: Map<string, number>;
  /** Models whose outputs went into the files (annotation origins, score models, embeddings). */
  models: Map<string, string>;
  /** Items written, by source name. */
  sources: Map<string, number>;
  /** Rows / samples / images per output file (or folder, for per-image files). */
  perFile: Map<string, number>;
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
/** Adds a use to a model's list ("labels, score clip.pair"). */
const use = (m: Map<string, string>, model: string, what: string) => {
  const prev = m.get(model);
  m.set(model, prev === undefined ? what : prev.split(', ').includes(what) ? prev : `${prev}, ${what}`);
};

export class Tally {
  readonly counts: WrittenCounts = {
    items: 0, captions: 0, labels: new Map(), objects: new Map(), masks: 0, scores: new Map(), models: new Map(), sources: new Map(), perFile: new Map(),
  };
  /** What the format holds and what it had no place for, in words (the card lists both). */
  readonly carries: string[] = [];
  readonly leftOut: string[] = [];
  readonly notes: string[] = [];
  readonly files: string[] = [];
  skipped = 0;

  constructor(carries: string[] = [], leftOut: string[] = []) {
    this.carries.push(...carries);
    this.leftOut.push(...leftOut);
  }

  file(name: string): void {
    if (!this.files.includes(name)) this.files.push(name);
  }
  row(file: string, n = 1): void {
    bump(this.counts.perFile, file, n);
  }
  item(source: string | null, caption: string | null): void {
    this.counts.items++;
    if (caption !== null) this.counts.captions++;
    if (source !== null) bump(this.counts.sources, source);
  }
  label(label: string, origin: string): void {
    bump(this.counts.labels, label);
    if (origin !== 'source' && origin !== 'manual') use(this.counts.models, origin, 'labels');
  }
  object(label: string, origin: string, mask: boolean): void {
    bump(this.counts.objects, label);
    if (mask) this.counts.masks++;
    if (origin !== 'source' && origin !== 'manual') use(this.counts.models, origin, mask ? 'masks' : 'boxes');
  }
  score(name: string, model: string | null): void {
    bump(this.counts.scores, name);
    if (model) use(this.counts.models, model, `score ${name}`);
  }
  /** A model whose output the files hold in another way (embeddings). */
  model(model: string, what: string): void {
    use(this.counts.models, model, what);
  }

  summary(): WriterSummary {
    return { written: this.counts.items, skipped: this.skipped, files: this.files, notes: this.notes, counts: this.counts, carries: this.carries, leftOut: this.leftOut };
  }
}
