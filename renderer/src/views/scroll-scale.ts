// A scroll range the browser can hold for any number of grid rows (Grid.tsx).
/**
 * Tallest scroll range the grid gives the browser. Browsers cap an element's height (Chromium near 33.5 M px,
 * Firefox near 17.9 M): a million items in 5 columns is 55 M px, so rows past the cap could not be reached.
 * Past this height the scroll range is scaled: the scroll position maps linearly onto the rows, ends matching.
 */
export const MAX_SCROLL_PX = 16_000_000;

/** Virtual (row-space) pixels per pixel of the element's scroll range: 1 until the rows are taller than MAX_SCROLL_PX. */
export function scrollScale(total: number, viewport: number): number {
  return total <= MAX_SCROLL_PX ? 1 : (total - viewport) / (MAX_SCROLL_PX - viewport);
}
