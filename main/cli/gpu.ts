import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cudaProviderInstalled } from '../engine/vision/providers';
import { hasNvidiaGpu } from './doctor';

const require = createRequire(import.meta.url);

/** Runs onnxruntime-node's own installer for the CUDA execution provider (skipped by .npmrc during npm ci). */
export function gpuInstall(): number {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`The CUDA provider is for Linux x64; this is ${process.platform}-${process.arch}.`);
    return 1;
  }
  if (!hasNvidiaGpu()) console.error('warning: no NVIDIA GPU detected; installing the CUDA provider anyway');
  if (cudaProviderInstalled()) {
    console.log('The CUDA execution provider is already installed.');
    return 0;
  }
  const script = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install.js');
  const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
  delete env.npm_config_onnxruntime_node_install;
  const res = spawnSync(process.execPath, [script], { stdio: 'inherit', env });
  if (res.status !== 0 || !cudaProviderInstalled()) {
    console.error('CUDA provider installation failed; Winnow keeps using the CPU provider.');
    return 1;
  }
  console.log('CUDA execution provider installed. `winnow doctor` shows which provider runs.');
  return 0;
}
