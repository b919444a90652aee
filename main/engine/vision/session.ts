import type { InferenceSession, Tensor } from 'onnxruntime-node';

export interface TensorInfo {
  name: string;
  /** ORT element type, e.g. 'float32', 'int64'; 'non-tensor' for maps/sequences. */
  type: string;
  /** Numbers are fixed dimensions, strings are symbolic (e.g. 'batch_size'); empty when unknown. */
  shape: ReadonlyArray<number | string>;
}

function describe(metadata: readonly InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, type: value.type, shape: [...value.shape] }
      : { name: value.name, type: 'non-tensor', shape: [] },
  );
}

/**
 * One loaded ONNX graph and what it expects. Names and shapes come from the session itself so
 * exports with other input/output names (SigLIP, MobileCLIP, custom) run on the same code path.
 */
export class OnnxSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];

  constructor(
    readonly session: InferenceSession,
    readonly modelPath: string,
    readonly provider: string,
  ) {
    this.inputs = describe(session.inputMetadata);
    this.outputs = describe(session.outputMetadata);
  }

  input(name: string): TensorInfo | undefined {
    return this.inputs.find((input) => input.name === name);
  }

  output(name: string): TensorInfo | undefined {
    return this.outputs.find((output) => output.name === name);
  }

  async run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    const result = outputNames ? await this.session.run(feeds, outputNames) : await this.session.run(feeds);
    return result as Record<string, Tensor>;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The fixed size of dimension `axis`, or undefined when the graph leaves it dynamic. */
export function fixedDim(info: TensorInfo | undefined, axis: number): number | undefined {
  const dim = info?.shape[axis];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}
