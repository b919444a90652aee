// CSV formula guard: a spreadsheet never sees a cell starting with = + - @ tab or CR, and Winnow's importer gets the text back
// exactly (including text that itself starts with quotes before such a character).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../../main/engine/export/manifest';
import { ManifestSource } from '../../../main/engine/ingest/manifest';
import { tempDir } from '../../fixtures/images';

const CAPTIONS = ['=1+1', '+cmd', '-5 degrees', '@SUM(A1)', '\tleading tab', '\rcarriage', "'=already quoted", "''-two quotes", "'plain quote", 'plain, with comma', 'a "quoted" word'];

describe('CSV formula guard', () => {
  it('no cell a spreadsheet reads starts a formula, and the importer restores every caption exactly', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'm.csv');
    writeFileSync(file, `path,caption\n${CAPTIONS.map((c, i) => `${csvCell(`${i}.png`)},${csvCell(c)}`).join('\n')}\n`);
    // Python's csv module (not Winnow's parser) sees what a spreadsheet would load.
    const r = spawnSync('/usr/bin/python3', ['-c', 'import csv,json,sys; print(json.dumps([row["caption"] for row in csv.DictReader(open(sys.argv[1], newline=""))]))', file], { encoding: 'utf8' });
    const cells = JSON.parse(r.stdout) as string[];
    expect(cells).toHaveLength(CAPTIONS.length);
    for (const c of cells) expect(c).not.toMatch(/^[=+\-@\t\r]/);
    const got: (string | null)[] = [];
    for await (const e of new ManifestSource(file, 'csv').entries(0)) got.push(e.type === 'bad' ? null : e.caption);
    expect(got).toEqual(CAPTIONS);
  });
});
