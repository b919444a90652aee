import type { Rng } from './random';
import type { BackgroundKind, Vocabulary } from './vocabulary';

export interface CaptionObject {
  color: string;
  shape: string;
  size: string;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`caption template "${template}" uses unknown slot {${key}}`);
    return value;
  });
}

export function objectPhrase(rng: Rng, vocab: Vocabulary, obj: CaptionObject): string {
  return fill(rng.pick(vocab.templates.object), { color: obj.color, shape: obj.shape, size: obj.size });
}

/** A caption in the vocabulary's templates, describing the objects in drawing order. */
export function captionFor(rng: Rng, vocab: Vocabulary, objects: readonly CaptionObject[], background: BackgroundKind): string {
  const phrases = objects.map((o) => objectPhrase(rng, vocab, o));
  const bg = vocab.backgrounds.names[background] ?? background;
  const values: Record<string, string> = { background: bg };
  let templates: string[];
  switch (phrases.length) {
    case 1:
      templates = vocab.templates.one;
      values.obj = phrases[0];
      break;
    case 2:
      templates = vocab.templates.two;
      break;
    case 3:
      templates = vocab.templates.three;
      break;
    default:
      throw new Error(`no caption templates for ${phrases.length} objects`);
  }
  phrases.forEach((p, i) => (values[`obj${i + 1}`] = p));
  return fill(rng.pick(templates), values);
}

/** The prompt used for zero-shot classification ("a photo of a red star"). */
export function zeroShotPrompt(vocab: Vocabulary, color: string, shape: string): string {
  return fill(vocab.templates.zero_shot, { color, shape });
}
