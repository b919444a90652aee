// The Labels panel's text formats (the same as the CLI's): one class per line, synonyms after ':'.
export interface ClassLine { name: string; synonyms?: string[] }

export function parseClasses(text: string): ClassLine[] {
  const seen = new Set<string>();
  const out: ClassLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const name = (colon >= 0 ? line.slice(0, colon) : line).trim().slice(0, 200);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const synonyms = colon >= 0 ? line.slice(colon + 1).split(/[,|]/).map((s) => s.trim()).filter(Boolean).slice(0, 32) : [];
    out.push(synonyms.length ? { name, synonyms } : { name });
  }
  return out;
}

export function parseLines(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')))];
}
