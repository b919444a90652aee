import path from 'node:path';
import { Engine } from '../engine/engine';
import { Project } from '../engine/project';
import { winnowHome } from '../engine/recent';

/** The demo project in Winnow's home folder, created on first start. */
export async function ensureDemoProject(): Promise<string> {
  const dir = path.join(winnowHome(), 'demo-project');
  if (Project.exists(dir)) return dir;
  const engine = new Engine('cli');
  await engine.createProject(dir, 'Winnow demo');
  await engine.close();
  return dir;
}
