import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export interface Row { line: number; record?: Record<string, unknown>; error?: string }

/** Streams JSONL or CSV rows (one object each) with their line numbers; unparseable lines come back with an error. */
export async function* readRows(file: string, format: 'jsonl' | 'csv', signal?: AbortSignal): AsyncIterable<Row> {
  if (format === 'jsonl') {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      signal?.throwIfAborted();
      if (text.trim() === '') continue;
      try {
        const value = JSON.parse(text) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) yield { line, error: 'row is not a JSON object' };
        else yield { line, record: value as Record<string, unknown> };
      } catch (err) {
        yield { line, error: `invalid JSON: ${(err as Error).message}` };
      }
    }
    return;
  }
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
    signal?.throwIfAborted();
    yield { line: info.lines, record };
  }
}
