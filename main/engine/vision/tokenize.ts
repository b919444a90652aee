import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import { tokenContent, type TokenizerConfig } from './model-config';

const require = createRequire(import.meta.url);
type DecodeHtml = typeof import('entities/decode').decodeHTML;
let decodeHTML: DecodeHtml | undefined;

/**
 * `html.unescape(html.unescape(text))`. A text without "&" holds no entity and is returned as it is, so the
 * decoder (the package's decode module alone: its index also builds the encoding tables) is loaded on the first
 * text that has one: loading it (7 files, its decode trie built from base64) cost every `winnow search` ~5-10 ms.
 */
function unescapeTwice(text: string): string {
  if (!text.includes('&')) return text;
  decodeHTML ??= (require('entities/decode') as { decodeHTML: DecodeHtml }).decodeHTML;
  return decodeHTML(decodeHTML(text));
}

/**
 * OpenAI CLIP's own text cleaning, which tokenizer.json cannot express: HTML entities unescaped twice
 * (`html.unescape(html.unescape(text))`, so "&amp;amp;" becomes "&"), whitespace runs collapsed, ends trimmed.
 * Captions scraped from the web are full of entities; without this "&amp;" tokenizes as four tokens.
 */
export function clipBasicClean(text: string): string {
  return unescapeTwice(text).replace(/\s+/g, ' ').trim();
}

/** Tokenizers whose original implementation cleans text the CLIP way before BPE. */
const CLIP_TOKENIZER_CLASSES = new Set(['CLIPTokenizer', 'CLIPTokenizerFast']);

export interface TokenizedBatch {
  /** Row-major [count, sequenceLength]. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  count: number;
  sequenceLength: number;
}

// CLIP's context length; used when neither the config nor the graph gives a usable bound.
const DEFAULT_MAX_LENGTH = 77;

/**
 * Text → fixed-length id rows the text encoder takes. Padding always goes to the maximum length
 * because CLIP/SigLIP text graphs are exported with (and SigLIP was trained on) padded sequences.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly maxLength: number;
  readonly padId: number;
  /** The id the post-processor puts last (CLIP's EOS); kept when truncating so pooling still finds it. */
  readonly eosId: number | undefined;
  private readonly clean: (text: string) => string;

  constructor(tokenizerJson: Record<string, unknown>, config: TokenizerConfig, maxLength?: number) {
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    // Many configs say model_max_length = 1e30 ("no limit"); that is not a usable sequence length.
    const configured = config.model_max_length && config.model_max_length < 100_000 ? config.model_max_length : undefined;
    this.maxLength = maxLength ?? configured ?? DEFAULT_MAX_LENGTH;
    this.eosId = this.idOf(tokenContent(config.eos_token));
    this.padId = this.idOf(tokenContent(config.pad_token)) ?? this.eosId ?? 0;
    this.clean = CLIP_TOKENIZER_CLASSES.has(config.tokenizer_class ?? '') ? clipBasicClean : (text) => text;
  }

  private idOf(token: string | undefined): number | undefined {
    return token === undefined ? undefined : this.tokenizer.token_to_id(token);
  }

  /** Ids with special tokens, truncated to maxLength, unpadded. */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(this.clean(text)).ids;
    if (ids.length <= this.maxLength) return ids;
    const last = ids[ids.length - 1];
    if (this.eosId !== undefined && last === this.eosId) return [...ids.slice(0, this.maxLength - 1), last];
    return ids.slice(0, this.maxLength);
  }

  encodeBatch(texts: readonly string[]): TokenizedBatch {
    const length = this.maxLength;
    const inputIds = new BigInt64Array(texts.length * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(texts.length * length);
    texts.forEach((text, row) => {
      const ids = this.encode(text);
      for (let i = 0; i < ids.length; i++) {
        inputIds[row * length + i] = BigInt(ids[i]);
        attentionMask[row * length + i] = 1n;
      }
    });
    return { inputIds, attentionMask, count: texts.length, sequenceLength: length };
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}
