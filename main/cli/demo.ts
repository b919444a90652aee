import { existsSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../engine/engine';
import { Project } from '../engine/project';
import { winnowHome } from '../engine/recent';
import { writeDirtyDataset, loadVocabulary } from '../synthetic/index';
import { localClient } from '../api/client';
import { DEFAULT_MODEL } from '../engine/vision/active-model';

export const DEMO_ITEMS = 2000;
const DEMO_SEED = 'winnow-demo';

/**
 * The demo project in Winnow's home folder. On first start it generates a dirty synthetic dataset
 * (~2,000 images with planted problems and a ground-truth file) and queues, as jobs the app then runs
 * with visible progress: import, embedding, image statistics and duplicates, pair scores, and zero-shot
 * labels over the world's colour-shape classes, all with the built-in model.
 */
export async function ensureDemoProject(): Promise<string> {
  const dir = path.join(winnowHome(), 'demo-project');
  if (Project.exists(dir)) return dir;
  const data = path.join(winnowHome(), 'demo-data');
  if (!existsSync(path.join(data, 'ground_truth.json'))) {
    // WINNOW_DEMO_ITEMS: a smaller demo for tests.
    const count = Number(process.env.WINNOW_DEMO_ITEMS) || DEMO_ITEMS;
    process.stderr.write(`Generating the demo dataset (${count.toLocaleString('en')} synthetic images) in ${data}…\n`);
    await writeDirtyDataset(data, { count, seed: DEMO_SEED });
  }
  const engine = new Engine('cli', { command: 'winnow start (preparing the demo)' });
  const client = localClient(engine);
  await client.call('project.create', { dir, name: 'Winnow demo' });
  await client.call('sources.add', { path: path.join(data, 'images') });
  await client.call('embed.start', { model: DEFAULT_MODEL });
  await client.call('curate.runStats', {});
  await client.call('pairscore.run', { model: DEFAULT_MODEL });
  const vocab = loadVocabulary();
  const classes = Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((shape) => ({ name: `${c} ${shape}` })));
  await client.call('labels.run', { model: DEFAULT_MODEL, classes });
  // Closing leaves the jobs interrupted, in order; the app resumes them as soon as it opens the project.
  await engine.close();
  return dir;
}
