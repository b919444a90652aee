import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ownUrlSource } from '../../../scripts/build-cli';

describe('CLI bundle: each source keeps its own import.meta.url', () => {
  it('rewrites the expression and leaves a quoted define key alone', () => {
    const own = 'OWN';
    expect(ownUrlSource("const u = new URL('./x', import.meta.url);", own)).toBe("const u = new URL('./x', OWN);");
    expect(ownUrlSource("if (import.meta.url === a) f(import.meta.url)", own)).toBe('if (OWN === a) f(OWN)');
    expect(ownUrlSource("define: { 'import.meta.url': '__x' }", own)).toBe("define: { 'import.meta.url': '__x' }");
  });

  it('keeps electron.config.ts\'s define key, which the app build bundled into the CLI needs', () => {
    const config = readFileSync(new URL('../../../electron.config.ts', import.meta.url), 'utf8');
    const rewritten = ownUrlSource(config, 'OWN');
    expect(rewritten).toContain("'import.meta.url':");
    expect(rewritten).not.toContain("'OWN'");
  });
});
