// Why a graph with external weights (`model.onnx` + `model.onnx_data`) fails to load, in words a user can act
// on: onnxruntime's own message for a missing or truncated data file names neither the file nor the range.
// Read only after a load failed, so a working model never pays for parsing its graph here.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type onnxProto from 'onnx-proto';

type Onnx = typeof onnxProto.onnx;
// Graphs past this size hold their own weights; parsing them would only cost memory.
const MAX_PARSED_BYTES = 256 * 1024 * 1024;

/** Problems with the external-data files `graphFile` refers to (none when it has no external data). */
export async function externalDataProblems(graphFile: string): Promise<string[]> {
  const size = await stat(graphFile).then((s) => s.size, () => -1);
  if (size < 0 || size > MAX_PARSED_BYTES) return [];
  // protobufjs + the ONNX schema take tens of ms to load: only a failed load pays for them.
  const { onnx } = (await import('onnx-proto')).default as { onnx: Onnx };
  let model: InstanceType<Onnx['ModelProto']>;
  try {
    model = onnx.ModelProto.decode(await readFile(graphFile));
  } catch {
    return [`${path.basename(graphFile)} is not a readable ONNX file`];
  }
  const needed = new Map<string, number>();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entry = Object.fromEntries((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const end = Number(entry.offset ?? 0) + Number(entry.length ?? 0);
    if (entry.location) needed.set(entry.location, Math.max(needed.get(entry.location) ?? 0, end));
  }
  const folder = path.dirname(graphFile);
  const problems: string[] = [];
  for (const [location, end] of needed) {
    const file = path.resolve(folder, location);
    if (path.relative(folder, file).startsWith('..') || path.isAbsolute(location)) {
      problems.push(`${path.basename(graphFile)} points its weights outside its folder (${location})`);
      continue;
    }
    const bytes = await stat(file).then((s) => s.size, () => -1);
    if (bytes < 0) problems.push(`${path.basename(graphFile)} keeps its weights in ${location}, which is missing`);
    else if (bytes < end) problems.push(`${location} is truncated: ${bytes} bytes, but ${path.basename(graphFile)} reads up to byte ${end}`);
  }
  return problems;
}
