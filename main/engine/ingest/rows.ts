import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseJsonGuarded } from './json-depth';

/** `errorKind` names the issue a bad row becomes: `too_deep` for nesting past the limit, else `bad_row`. */
export interface Row { line: number; record?: Record<string, unknown>; error?: string; errorKind?: 'bad_row' | 'too_deep' }

/** Streams JSONL or CSV rows (one object each) with their line numbers; unparseable lines come back with an error. */
export async function* readRows(file: string, format: 'jsonl' | 'csv', signal?: AbortSignal): AsyncIterable<Row> {
  if (format === 'jsonl') {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      signal?.throwIfAborted();
      if (text.trim() === '') continue;
      const parsed = parseJsonGuarded(text);
      if ('error' in parsed) yield { line, error: parsed.error, errorKind: parsed.kind === 'too_deep' ? 'too_deep' : 'bad_row' };
      else if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) yield { line, error: 'row is not a JSON object' };
      else yield { line, record: parsed.value as Record<string, unknown> };
    }
    return;
  }
  // A malformed record (a stray quote) is skipped by the parser and comes back as a bad row, not a failed import.
  // Loaded on first use (a dynamic import), so commands that never read this format start without it.
  const { parse } = await import('csv-parse');
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true, info: true, skip_records_with_error: true }));
  const skipped: Row[] = [];
  parser.on('skip', (err: Error & { lines?: number }) => skipped.push({ line: err.lines ?? 0, error: `malformed CSV record: ${err.message}`, errorKind: 'bad_row' }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
    signal?.throwIfAborted();
    yield* skipped.splice(0);
    yield { line: info.lines, record };
  }
  yield* skipped.splice(0);
}
