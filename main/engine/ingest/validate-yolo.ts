// One line of a YOLO label file: `class cx cy w h` (a box) or `class x1 y1 ... xk yk` (a polygon, k ≥ 3), coordinates
// normalized to 0..1. A line that is not that is refused whole with an issue naming every reason; coordinates that reach
// outside 0..1 are kept here and clipped (or refused) by the box rule once the image size is known (box-bounds.ts).
import type { EntryAnnotation, EntryProblem } from './entry';

export function parseYoloLine(line: string, names: readonly string[], location: string): { annotation: EntryAnnotation } | { problem: EntryProblem } | null {
  const tokens = line.trim().split(/\s+/).filter(Boolean);
  if (!tokens.length) return null;
  const values = tokens.map((t) => (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : NaN));
  const reasons: string[] = [];
  const junk = tokens.filter((_, i) => !Number.isFinite(values[i]));
  if (junk.length) reasons.push(`not numbers: ${junk.slice(0, 5).map((t) => `"${t.slice(0, 20)}"`).join(', ')}`);
  const cls = values[0];
  if (Number.isFinite(cls) && !(Number.isInteger(cls) && cls >= 0)) reasons.push(`class ${tokens[0]} is not a class index`);
  else if (Number.isInteger(cls) && names.length && cls >= names.length) reasons.push(`class ${cls} is not in data.yaml's names (0..${names.length - 1})`);
  const n = tokens.length;
  const isBox = n === 5;
  if (!isBox && !(n >= 7 && n % 2 === 1)) reasons.push(`${n} values (expected 5 for a box, or 1 + 2k with k ≥ 3 for a polygon)`);
  if (isBox && !junk.length && !(values[3] > 0 && values[4] > 0)) reasons.push(`box width and height must be > 0 (got ${tokens[3]}, ${tokens[4]})`);
  if (reasons.length) {
    const unknownOnly = reasons.length === 1 && reasons[0].includes("data.yaml's names");
    return { problem: { kind: unknownOnly ? 'unknown_category' : 'bad_annotation', message: `label line "${line.trim().slice(0, 80)}": ${reasons.join('; ')}: not imported`, location } };
  }
  const label = names[cls] ?? String(cls);
  if (isBox) {
    const [, cx, cy, w, h] = values;
    return { annotation: { kind: 'box', label, bbox: [cx - w / 2, cy - h / 2, w, h], normalized: true, location } };
  }
  return { annotation: { kind: 'mask', label, polygons: [values.slice(1)], normalized: true, location } };
}
