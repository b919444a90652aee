// The one rule for boxes that do not fit their image (documented in the README, "Import"): a box is clipped to the image;
// when it reached more than BOX_TOLERANCE_PX past an edge the clip is reported as a `box_clipped` warning (rounding in
// exporters routinely overshoots by a fraction of a pixel, which is clipped silently). A box with no width or height, or
// with nothing left inside the image, is refused with a `bad_annotation` issue.
export const BOX_TOLERANCE_PX = 1;

type Box = [number, number, number, number];

export type FittedBox = { box: Box; clipped: string | null } | { refused: string };

const fmt = (b: Box) => `[${b.map((v) => Math.round(v * 100) / 100).join(', ')}]`;

/** Fits an [x, y, w, h] pixel box to a width × height image by the rule above. */
export function fitBox(b: Box, width: number, height: number): FittedBox {
  const [x, y, w, h] = b;
  if (!(w > 0 && h > 0)) return { refused: `box ${fmt(b)} has no area (width and height must be > 0)` };
  const x0 = Math.max(0, x), y0 = Math.max(0, y);
  const x1 = Math.min(width, x + w), y1 = Math.min(height, y + h);
  if (x1 <= x0 || y1 <= y0) return { refused: `box ${fmt(b)} lies entirely outside the ${width}×${height} image` };
  const over = Math.max(-x, -y, x + w - width, y + h - height);
  const box: Box = [x0, y0, x1 - x0, y1 - y0];
  return { box, clipped: over > BOX_TOLERANCE_PX ? `box ${fmt(b)} reaches ${Math.round(over * 100) / 100} px outside the ${width}×${height} image: clipped to ${fmt(box)}` : null };
}
