// The import caption rule against a plain per-character reading of its four steps (caption-clean.ts header),
// over generated captions: clean ones (the fast path) and ones with every kind of character the rule acts on.
import { describe, expect, it } from 'vitest';
import { cleanCaption } from '../../../main/engine/ingest/caption-clean';

function reference(raw: string): { text: string; problems: string[] } {
  const problems: string[] = [];
  let replaced = 0;
  for (const ch of raw) if (ch === '\uFFFD') replaced++;
  if (replaced) problems.push(`${replaced} invalid UTF-8 sequence${replaced === 1 ? '' : 's'} (shown as U+FFFD)`);
  let unix = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\r') {
      unix += '\n';
      if (raw[i + 1] === '\n') i++;
    } else unix += raw[i];
  }
  let nul = 0;
  let controls = 0;
  let kept = '';
  for (const ch of unix) {
    const c = ch.codePointAt(0)!;
    const control = (c <= 0x1f && ch !== '\n' && ch !== '\t') || (c >= 0x7f && c <= 0x9f);
    if (c === 0) nul++;
    else if (control) controls++;
    if (!control) kept += ch;
  }
  if (nul) problems.push(`${nul} NUL byte${nul === 1 ? '' : 's'} removed`);
  if (controls) problems.push(`${controls} control character${controls === 1 ? '' : 's'} removed`);
  let collapsed = '';
  for (const ch of kept) if (!(ch === ' ' && collapsed.endsWith(' '))) collapsed += ch;
  return { text: collapsed.trim(), problems };
}

/** Deterministic pseudo-random captions from `alphabet`. */
function captions(alphabet: string[], n: number, seed: number): string[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(next() * 30) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
}

describe('cleanCaption', () => {
  const plain = ['a', 'b', 'Z', ' ', 'é', '猫', '.', '\n', '\t', '\u00A0'];
  const dirty = [...plain, ' ', '  ', '\r', '\r\n', '\u0000', '\u0001', '\u001F', '\u007F', '\u0085', '\u009F', '\uFFFD', '\u000B'];

  it('follows the four steps on clean captions (which it only trims)', () => {
    for (const raw of captions(plain, 2000, 7)) expect(cleanCaption(raw), JSON.stringify(raw)).toEqual(reference(raw));
  });

  it('follows the four steps on captions with replacement characters, CRs, controls and space runs', () => {
    const all = captions(dirty, 4000, 11);
    expect(all.some((raw) => reference(raw).problems.length > 0)).toBe(true);
    for (const raw of all) expect(cleanCaption(raw), JSON.stringify(raw)).toEqual(reference(raw));
  });
});
