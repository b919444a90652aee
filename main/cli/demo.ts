import { existsSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../engine/engine';
import { Project } from '../engine/project';
import { winnowHome } from '../engine/recent';
import { writeDirtyDataset } from '../synthetic/index';

export const DEMO_ITEMS = 2000;
const DEMO_SEED = 'winnow-demo';

/**
 * The demo project in Winnow's home folder. On first start it generates a dirty synthetic dataset
 * (~2,000 images with planted problems and a ground-truth file) and queues its import and embedding
 * as jobs, which the app then runs with visible progress.
 */
export async function ensureDemoProject(): Promise<string> {
  const dir = path.join(winnowHome(), 'demo-project');
  if (Project.exists(dir)) return dir;
  const data = path.join(winnowHome(), 'demo-data');
  if (!existsSync(path.join(data, 'ground_truth.json'))) {
    process.stderr.write(`Generating the demo dataset (${DEMO_ITEMS.toLocaleString('en')} synthetic images) in ${data}…\n`);
    await writeDirtyDataset(data, { count: DEMO_ITEMS, seed: DEMO_SEED });
  }
  const engine = new Engine('cli');
  await engine.createProject(dir, 'Winnow demo');
  await engine.addSource(path.join(data, 'images'));
  engine.embed();
  // Closing leaves both jobs interrupted; the app resumes them as soon as it opens the project.
  await engine.close();
  return dir;
}
