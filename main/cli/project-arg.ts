import path from 'node:path';
import { Project } from '../engine/project';

/** --project, else $WINNOW_PROJECT, else the current folder if it is a project. */
export function projectDir(flag: string | undefined): string | null {
  if (flag) return path.resolve(flag);
  if (process.env.WINNOW_PROJECT) return path.resolve(process.env.WINNOW_PROJECT);
  return Project.exists(process.cwd()) ? process.cwd() : null;
}
