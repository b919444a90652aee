// Colours of review classes that never contradict a class's name: a class that names a colour ("red circle", "Green
// apple") is drawn in that colour; any other class takes the next palette colour by its number in its list.
import { classColor } from './rle';

type Rgb = [number, number, number];

/** Colour words a class name may carry, with a shade readable on the dark canvas. */
const NAMED: Record<string, Rgb> = {
  red: [239, 68, 68], green: [34, 197, 94], blue: [59, 130, 246], yellow: [250, 204, 21], orange: [249, 115, 22],
  purple: [168, 85, 247], violet: [139, 92, 246], pink: [244, 114, 182], magenta: [217, 70, 239], cyan: [34, 211, 238],
  teal: [20, 184, 166], brown: [161, 98, 7], black: [82, 82, 91], white: [244, 244, 245], gray: [156, 163, 175], grey: [156, 163, 175],
  gold: [234, 179, 8], silver: [203, 213, 225],
};

const WORD = new RegExp(`\\b(${Object.keys(NAMED).join('|')})\\b`, 'i');

/** The colour a class name names, or null. */
export function namedColor(name: string): Rgb | null {
  const m = WORD.exec(name);
  return m ? NAMED[m[1].toLowerCase()] : null;
}

/** The colour of class `name`, number `index` (0-based) in its list. */
export function colorOfClass(name: string, index: number): Rgb {
  return namedColor(name) ?? classColor(Math.max(0, index));
}
