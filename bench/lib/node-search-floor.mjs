// The Node floor of `winnow search` for `npm run bench:search`: the same work with the same native libraries
// and no Winnow code — load onnxruntime-node, better-sqlite3, usearch and the tokenizer, create the text
// session from the optimized graph Winnow cached (same options), embed the query, stream the matrix, exact
// top-k by inner product, look the hits up in SQLite. What this costs is what any Node process doing a
// search pays before Winnow's own code (contract, engine, zod schemas) adds anything.
// Plain JS, not TypeScript: it must not go through tsx or the bundle it is measured against.
// Usage: node node-search-floor.mjs MODEL_DIR TEXT_GRAPH PROJECT_DIR MODEL_ID K QUERY  → JSON {itemIds}
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import usearch from 'usearch';

// As Winnow's providers.ts: onnxruntime's telemetry off (it costs a first session ~7 ms of CPU).
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const require = createRequire(import.meta.url);
const { InferenceSession, Tensor } = require('onnxruntime-node');
const Database = require('better-sqlite3');

const [modelDir, graph, projectDir, modelId, kArg, query] = process.argv.slice(2);
const k = Number(kArg);
const json = (f) => JSON.parse(readFileSync(path.join(modelDir, f), 'utf8'));
const config = json('tokenizer_config.json');
const tokenizer = new Tokenizer(json('tokenizer.json'), config);
// Same session options as Winnow's CPU provider (main/engine/vision/providers.ts).
const session = await InferenceSession.create(graph, {
  graphOptimizationLevel: 'all', logSeverityLevel: 3, executionProviders: ['cpu'], intraOpNumThreads: os.availableParallelism(),
  interOpNumThreads: 1, executionMode: 'sequential', extra: { session: { intra_op: { allow_spinning: '0' } } }, enableCpuMemArena: true, enableMemPattern: true,
});
const length = session.inputMetadata?.find?.((m) => m.name === 'input_ids')?.shape?.[1];
// Winnow's rule (vision/tokenize.ts): the graph's fixed length, else the config's, else CLIP's 77.
const maxLength = typeof length === 'number' ? length : config.model_max_length < 100_000 ? config.model_max_length : 77;
const padId = tokenizer.token_to_id(typeof config.pad_token === 'string' ? config.pad_token : config.pad_token?.content ?? '') ?? 0;
const ids = tokenizer.encode(query.replace(/\s+/g, ' ').trim()).ids.slice(0, maxLength);
const inputIds = new BigInt64Array(maxLength).fill(BigInt(padId));
const mask = new BigInt64Array(maxLength);
ids.forEach((id, i) => { inputIds[i] = BigInt(id); mask[i] = 1n; });
const feeds = { input_ids: new Tensor('int64', inputIds, [1, maxLength]) };
if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new Tensor('int64', mask, [1, maxLength]);
const output = session.outputNames.includes('text_embeds') ? 'text_embeds' : session.outputNames[0];
const q = Float32Array.from((await session.run(feeds, [output]))[output].data);
const norm = Math.hypot(...q);
for (let i = 0; i < q.length; i++) q[i] /= norm;

const db = new Database(path.join(projectDir, 'project.sqlite'), { readonly: true });
const set = db.prepare('SELECT id, dim FROM embedding_sets WHERE model = ?').get(modelId);
// Streamed in ~4 MB chunks through one reused buffer, as Winnow does (store/resident-matrix.ts): faulting in
// fresh memory for the whole 51 MB costs ~0.13 CPU-s of page faults here (numpy asks for huge pages, Node cannot).
const chunkRows = Math.max(256, Math.floor(2 ** 22 / (set.dim * 4)));
const fd = openSync(path.join(projectDir, 'embeddings', modelId, 'image.f32'), 'r');
const rows = fstatSync(fd).size / (set.dim * 4);
const scratch = new Float32Array(chunkRows * set.dim);
const found = [];
for (let first = 0; first < rows; first += chunkRows) {
  const count = Math.min(chunkRows, rows - first);
  const data = count === chunkRows ? scratch : new Float32Array(count * set.dim);
  readSync(fd, new Uint8Array(data.buffer), 0, data.byteLength, first * set.dim * 4);
  const top = usearch.exactSearch(data, q, set.dim, Math.min(k, count), usearch.MetricKind.IP, 0);
  top.keys.forEach((key, i) => found.push({ row: Number(key) + first, score: 1 - top.distances[i] }));
}
closeSync(fd);
const best = found.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
const rowToItem = db.prepare('SELECT item_id FROM embedding_rows WHERE set_id = ? AND image_row = ?').pluck();
const item = db.prepare('SELECT i.id, i.key, c.text FROM items i LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1 WHERE i.id = ?');
const hits = best.map(({ row }) => item.get(rowToItem.get(set.id, row)));
process.stdout.write(JSON.stringify({ itemIds: hits.map((h) => h.id), keys: hits.map((h) => h.key) }));
