// `winnow worker --rate`: the text a user types → BullMQ limiter options, and a clear message otherwise.
import { describe, expect, it } from 'vitest';
import { parseRate } from '../../../main/cluster/worker';

describe('--rate', () => {
  it('reads N per second, minute or hour', () => {
    expect(parseRate('5/s')).toEqual({ max: 5, duration: 1_000 });
    expect(parseRate(' 120 / min ')).toEqual({ max: 120, duration: 60_000 });
    expect(parseRate('3/hour')).toEqual({ max: 3, duration: 3_600_000 });
  });

  it('rejects what is not a rate, saying what it takes', () => {
    for (const bad of ['5', '0/s', '-1/s', '2.5/s', '5/day', 'fast']) expect(() => parseRate(bad)).toThrow(/--rate takes N\/s, N\/min or N\/h/);
  });
});
