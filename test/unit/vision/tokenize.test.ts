import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerConfigSchema } from '../../../main/engine/vision/model-config';
import { TextTokenizer } from '../../../main/engine/vision/tokenize';
import { CLIP_BOS_ID, CLIP_EOS_ID, buildClipTokenizerJson, clipTokenizerConfig } from '../../fixtures/vision/clip-tokenizer-fixture';

describe('TextTokenizer with the real CLIP BPE vocabulary', () => {
  let tokenizerJson: Record<string, unknown>;
  let tokenizer: TextTokenizer;

  beforeAll(() => {
    tokenizerJson = buildClipTokenizerJson();
    tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfigSchema.parse(clipTokenizerConfig()));
  });

  it('matches the ids of openai/clip-vit-base-patch32', () => {
    expect(tokenizer.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('lowercases and collapses whitespace like CLIPTokenizer', () => {
    expect(tokenizer.encode('A   Photo of a CAT')).toEqual(tokenizer.encode('a photo of a cat'));
  });

  it('pads to model_max_length with the pad id (CLIP pads with <|endoftext|>) and masks the padding', () => {
    const batch = tokenizer.encodeBatch(['a photo of a cat', 'dog']);
    expect(batch.sequenceLength).toBe(77);
    expect(batch.inputIds.length).toBe(2 * 77);
    const first = Array.from(batch.inputIds.subarray(0, 77), Number);
    expect(first.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(first.slice(7).every((id) => id === CLIP_EOS_ID)).toBe(true);
    const mask = Array.from(batch.attentionMask.subarray(0, 77), Number);
    expect(mask.slice(0, 7).every((bit) => bit === 1)).toBe(true);
    expect(mask.slice(7).every((bit) => bit === 0)).toBe(true);
    expect(Number(batch.attentionMask[77 + 2])).toBe(1);
    expect(Number(batch.attentionMask[77 + 3])).toBe(0);
  });

  it('truncates to the maximum length but keeps the final <|endoftext|>', () => {
    const long = Array.from({ length: 200 }, () => 'cat').join(' ');
    const ids = tokenizer.encode(long);
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(CLIP_BOS_ID);
    expect(ids[76]).toBe(CLIP_EOS_ID);
    expect(ids[75]).toBe(2368);
    const batch = tokenizer.encodeBatch([long]);
    expect(Array.from(batch.attentionMask).every((bit) => bit === 1n)).toBe(true);
  });

  it('honours an explicit shorter sequence length from the graph', () => {
    const short = new TextTokenizer(tokenizerJson, tokenizerConfigSchema.parse(clipTokenizerConfig()), 5);
    expect(short.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 49407]);
    expect(short.encodeBatch(['a']).inputIds.length).toBe(5);
  });

  it('uses the configured pad token and ignores "unlimited" model_max_length values', () => {
    const config = tokenizerConfigSchema.parse({ ...clipTokenizerConfig(), pad_token: '!', model_max_length: 1e30 });
    const custom = new TextTokenizer(tokenizerJson, config);
    expect(custom.padId).toBe(0);
    expect(custom.maxLength).toBe(77);
    expect(Number(custom.encodeBatch(['cat']).inputIds[10])).toBe(0);
  });
});
