// Untrusted JSON can nest without limit: JSON.parse copes, but everything after it that recurses (JSON.stringify when the
// row is stored, zod, metadata walkers) overflows the stack and would fail the whole import. Rows deeper than this are
// refused one by one with an issue instead. Real dataset metadata nests a handful of levels (COCO polygons: 3).
export const MAX_JSON_DEPTH = 64;

/** The deepest `[`/`{` nesting in JSON text (strings skipped), counted without recursion; stops counting past `limit`. */
export function jsonTextDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 125 || c === 93) depth--;
  }
  return deepest;
}

/** The nesting depth of a parsed value (arrays and plain objects), walked with an explicit stack; stops past `limit`. */
export function valueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof Date) continue;
    const here = d + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, here]);
  }
  return deepest;
}

export const tooDeepMessage = (depth: number) =>
  `nested more than ${MAX_JSON_DEPTH} levels deep (${depth > MAX_JSON_DEPTH ? `at least ${depth}` : depth}): refused, Winnow reads at most ${MAX_JSON_DEPTH}`;

/** JSON.parse with the depth guard: a too-deep text is refused before it is parsed. */
export function parseJsonGuarded(text: string): { value: unknown } | { error: string; kind: 'too_deep' | 'bad_json' } {
  const depth = jsonTextDepth(text);
  if (depth > MAX_JSON_DEPTH) return { error: tooDeepMessage(depth), kind: 'too_deep' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}`, kind: 'bad_json' };
  }
}
