// The grid's scaled scroll range (Grid.tsx): 1:1 up to MAX_SCROLL_PX, beyond it the element's whole range maps
// onto the whole row range (top to top, bottom to bottom).
import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_PX, scrollScale } from '../../../renderer/src/views/scroll-scale';

describe('grid scroll scale', () => {
  it('is 1 while the rows fit, and maps the ends of the range onto the ends of the rows past it', () => {
    expect(scrollScale(MAX_SCROLL_PX, 800)).toBe(1);
    const total = 200_000 * 276; // a million items in 5 columns
    const k = scrollScale(total, 800);
    expect(k).toBeGreaterThan(3);
    expect((MAX_SCROLL_PX - 800) * k).toBeCloseTo(total - 800, 3);
  });

});
