// Checks that @huggingface/tokenizers (JS) encodes like the python trainer's BPE encoder.
// usage: node models/training/verify_tokenizer.mjs <model_dir> <cases.json>
import fs from 'node:fs';
import path from 'node:path';
const { Tokenizer } = await import('@huggingface/tokenizers');
const [dir, casesPath] = process.argv.slice(2);
const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const tc = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, tc);
const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
let bad = 0;
for (const c of cases) {
  const ids = tok.encode(c.text).ids.map(Number);
  if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
    if (bad++ < 10) console.log('MISMATCH', JSON.stringify(c.text), ids, c.ids);
  }
}
console.log(`tokenizer parity: ${cases.length - bad}/${cases.length} identical`);
console.log('example', JSON.stringify(cases[0].text), tok.encode(cases[0].text));
process.exit(bad ? 1 : 0);
