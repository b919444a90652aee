import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DTYPE_SUFFIXES, type ModelDtype } from './model-folder';

const SUFFIXES = Object.entries(DTYPE_SUFFIXES).filter(([dtype, suffix]) => suffix && dtype !== 'q8') as [ModelDtype, string][];

function dtypeOfGraph(name: string): string {
  const stem = name.slice(0, -'.onnx'.length);
  // Longest suffix first so `_q4f16` is not taken for `_fp16`-less `_q4`.
  const match = [...SUFFIXES].sort((a, b) => b[1].length - a[1].length).find(([, suffix]) => stem.endsWith(suffix));
  return match ? match[0] : 'fp32';
}

/** Bytes on disk per dtype (its ONNX graphs plus external-data files) and for the whole folder. */
export async function installedSizes(folder: string): Promise<{ totalBytes: number; byDtype: { dtype: string; bytes: number }[] }> {
  const byDtype = new Map<string, number>();
  let totalBytes = 0;
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const size = await stat(file).then((s) => s.size, () => 0);
    totalBytes += size;
    const inOnnx = path.basename(entry.parentPath) === 'onnx';
    const graph = entry.name.endsWith('.onnx') ? entry.name : entry.name.endsWith('.onnx_data') ? entry.name.replace(/_data$/, '') : undefined;
    if (inOnnx && graph) {
      const dtype = dtypeOfGraph(graph);
      byDtype.set(dtype, (byDtype.get(dtype) ?? 0) + size);
    }
  }
  return { totalBytes, byDtype: [...byDtype].map(([dtype, bytes]) => ({ dtype, bytes })) };
}
