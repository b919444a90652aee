/** What every source format yields, in a stable order, so an import can resume at a position. */
export type IngestEntry =
  | { type: 'file'; key: string; file: string; caption: string | null; captionOrigin: string | null; extra: Record<string, unknown> | null }
  | { type: 'remote'; key: string; url: string; caption: string | null; captionOrigin: string | null; extra: Record<string, unknown> | null }
  | { type: 'bad'; key: string; location: string; kind: string; message: string };

export interface IngestSource {
  /** The source folder that media may be served from. */
  readonly root: string;
  /** Number of entries, for progress; cheap (no file reads beyond listing/row parsing). */
  count(signal?: AbortSignal): Promise<number>;
  /** Entries in a deterministic order, skipping the first `skip` (the resume position). */
  entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry>;
}

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff']);
