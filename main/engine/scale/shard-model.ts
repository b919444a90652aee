// The dual encoder a shard job runs: a plan names a model id (resolved like the app resolves it: built-in,
// or installed under WINNOW_MODELS_DIR) or a model folder. A worker loads it once and reuses it for every shard.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../paths';
import { winnowHome } from '../recent';
import { ActiveModel } from '../vision/active-model';
import { ClipModel } from '../vision/clip-model';
import { hashGraphs } from '../vision/graph-hash';
import { ModelManager } from '../vision/model-manager';

export interface ShardModel { id: string; hash: string; model: ClipModel }

/** The folder of a model id (built-in, installed; WINNOW_REGISTRY as in the app) or of an absolute model folder. */
export async function shardModelDir(id: string): Promise<string> {
  return path.isAbsolute(id) && existsSync(path.join(id, 'config.json'))
    ? id
    : new ModelManager({
      modelsDir: process.env.WINNOW_MODELS_DIR ?? path.join(winnowHome(), 'models'), builtinRoot: path.join(APP_ROOT, 'models'),
      ...(process.env.WINNOW_REGISTRY && { registryPath: process.env.WINNOW_REGISTRY }),
    }).resolve(id);
}

export async function loadShardModel(id: string): Promise<ShardModel> {
  const dir = await shardModelDir(id);
  const [model, hash] = await Promise.all([
    ClipModel.load(dir, { provider: ActiveModel.requestedProvider(), cacheDir: path.join(winnowHome(), 'cache', 'onnx', path.basename(dir)) }),
    hashGraphs(dir, path.join(winnowHome(), 'cache', 'onnx', 'graph-hashes.json')),
  ]);
  return { id, hash, model };
}
