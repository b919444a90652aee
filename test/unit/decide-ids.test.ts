// The CLI's item-id lists: ids and ranges, and a clear refusal naming the bad part.
import { describe, expect, it } from 'vitest';
import { parseIds } from '../../main/cli/decide';

describe('winnow decide IDS', () => {
  it('reads ids and inclusive ranges', () => {
    expect(parseIds('3, 7,10-12')).toEqual([3, 7, 10, 11, 12]);
    expect(parseIds('5-5')).toEqual([5]);
  });
  it('refuses what is not an id or a range, naming it', () => {
    expect(() => parseIds('3,x')).toThrow('not an item id or range: "x"');
    expect(() => parseIds('9-2')).toThrow('bad range "9-2"');
    expect(() => parseIds('0')).toThrow('bad range "0"');
    expect(() => parseIds(',')).toThrow('no item ids given');
  });
});
