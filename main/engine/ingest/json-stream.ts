// Streams the elements of chosen top-level arrays of one big JSON object (e.g. COCO's "images" and "annotations"),
// one element at a time, without holding the document: each element's text is parsed on its own.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { MAX_JSON_DEPTH } from './json-depth';

/** Handed to `onElement` instead of a value for an element nested past MAX_JSON_DEPTH (its text is neither kept nor parsed). */
export class TooDeepElement {
  constructor(readonly depth: number) {}
}

export async function streamTopLevelArrays(
  file: string,
  keys: ReadonlySet<string>,
  onElement: (key: string, value: unknown, index: number) => void,
  signal?: AbortSignal,
  chunkSize = 1 << 20,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let depth = 0;
  let inStr = false;
  let esc = false;
  let keyText = '';
  let lastKey: string | null = null;
  let arrayKey: string | null = null; // the wanted array we are inside (depth 2)
  let cap = '';
  let capStart = -1;
  let index = 0; // the element's position in its array
  let deepest = 0; // of the element being captured, counted from the element itself
  const tooDeep = () => deepest > MAX_JSON_DEPTH;
  const scan = (chunk: string) => {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inStr) {
        if (esc) esc = false;
        else if (c === 92) esc = true; // backslash
        else if (c === 34) inStr = false; // quote
        else if (depth === 1) keyText += chunk[i];
        continue;
      }
      if (c === 34) {
        inStr = true;
        if (depth === 1) keyText = '';
        continue;
      }
      if (c === 58 && depth === 1) { lastKey = keyText; continue; } // ':'
      if (c === 123 || c === 91) { // '{' '['
        if (depth === 1 && c === 91 && lastKey !== null && keys.has(lastKey)) { arrayKey = lastKey; index = 0; }
        else if (depth === 2 && arrayKey !== null && c === 123) { capStart = i; deepest = 0; }
        depth++;
        if (capStart >= 0 && depth - 2 > deepest) deepest = depth - 2;
        continue;
      }
      if (c === 125 || c === 93) { // '}' ']'
        depth--;
        if (depth === 2 && arrayKey !== null && capStart >= 0 && c === 125) {
          const value = tooDeep() ? new TooDeepElement(deepest) : JSON.parse(cap + chunk.slice(capStart, i + 1));
          cap = '';
          capStart = -1;
          onElement(arrayKey, value, index++);
        } else if (depth === 1 && c === 93) {
          arrayKey = null;
          lastKey = null;
        }
        continue;
      }
      if (c === 44 && depth === 1) lastKey = null; // ','
    }
    if (capStart >= 0) {
      if (!tooDeep()) cap += chunk.slice(capStart);
      capStart = 0;
    }
  };
  for await (const buf of createReadStream(file, { highWaterMark: chunkSize })) {
    signal?.throwIfAborted();
    scan(decoder.write(buf as Buffer));
  }
  scan(decoder.end());
  if (depth !== 0 || inStr) throw new Error('truncated or malformed JSON');
}
