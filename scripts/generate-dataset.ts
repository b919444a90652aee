// node --import tsx scripts/generate-dataset.ts --out DIR --count N --seed S [--clean] [--width W --height H] [--jpg]
import { parseArgs } from 'node:util';
import { DIRT_KINDS, writeDirtyDataset, type DirtFractions } from '../main/synthetic/index';

const USAGE = 'usage: generate-dataset --out DIR --count N --seed S [--clean] [--width W] [--height H] [--jpg]';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string', default: '0' },
      clean: { type: 'boolean', default: false },
      width: { type: 'string' },
      height: { type: 'string' },
      jpg: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out || !values.count) throw new Error(USAGE);
  const count = positiveInt('count', values.count)!;
  // --clean writes the same world with every dirt fraction at zero.
  const fractions: Partial<DirtFractions> | undefined = values.clean ? Object.fromEntries(DIRT_KINDS.map((k) => [k, 0])) : undefined;
  const result = await writeDirtyDataset(values.out, {
    count,
    seed: values.seed,
    width: positiveInt('width', values.width),
    height: positiveInt('height', values.height),
    fractions,
    format: values.jpg ? 'jpg' : 'mixed',
  });
  const dirty = Object.values(result.counts).reduce((a, b) => a + b, 0);
  const seconds = result.elapsedMs / 1000;
  console.log(
    `wrote ${result.count} items (${dirty} dirty) to ${result.dir} in ${seconds.toFixed(2)} s (${(result.count / seconds).toFixed(0)} items/s), seed ${values.seed}`,
  );
}

main().catch((err: unknown) => {
  console.error(`generate-dataset: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
