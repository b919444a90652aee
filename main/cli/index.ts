import { parseArgs } from 'node:util';
import { commands, type CommandContext } from './commands';
import { MODEL_SETTINGS_USAGE } from './model-settings-usage';

const USAGE = `winnow — curate image-text datasets with a local vision-language model

Usage: winnow <command> [options]

  start [--project DIR]            open Winnow (desktop window, or browser mode without Electron) on the demo project
  init DIR [--name NAME]           create a project folder
  import PATH [--project DIR]      import a folder, JSONL/CSV manifest, WebDataset tars, Parquet, HF imagefolder, COCO json or YOLO data.yaml (resumable)
  embed [--project DIR] [--model ID]
                                   embed every image and caption (the project's embedding model; resumable)
  resume [--project DIR]           resume jobs a killed process left unfinished
  serve [--project DIR] [--port N] [--no-open]
                                   serve the UI and API on 127.0.0.1 with a token
  status [--project DIR]           items, sources, jobs and issues of a project
  stats [--project DIR] [--force]  image statistics, pHash and duplicate groups for every item (resumable)
  select --rules FILE | --name N [--project DIR]
                                   kept / removed counts of a rule list (JSON file) or a saved selection, per rule
  label --classes "a,b,c" [--templates FILE] [--multi] [--k N] [--threshold P] [--model ID]
                                   zero-shot labels (top-k proposals, label.* signals); counts per label (resumable)
  adapt [--model ID] [--head DIR] [--distill OUT]   (also: label --adapted)
                                   adapt the labels to the reviews (Tip-Adapter cache or linear probe, chosen by cross-validation),
                                   relabel unreviewed items as run "adapted"; --head labels with a distilled head; --distill writes one
  adapt --order uncertainty|margin|diverse|random [--limit N]
                                   items most useful to review next for the adapted classifier
  adapt --regions                  per-class minimum detection scores learnt from reviewed boxes (detect.run minScores)
  detect --queries "a,b" [--threshold P] [--segment] [--selection NAME] [--model ID] [--adapted]
                                   zero-shot detection (+ masks) as proposals to review (resumable);
                                   --adapted: scores adapted to the reviewed boxes (region cache)
  score [--model ID]               image-caption pair score, signal clip.pair (resumable)
  concepts --prompts "a watermark,..." [--model ID]
                                   concept scores, signals concept.<slug> (resumable)
  export --format F --out DIR [--selection NAME] [--opt key=value ...]
                                   export the selection (webdataset, parquet, imagefolder, coco, yolo, manifest) with a dataset card
  download [--opt concurrency=8 --opt timeoutMs=20000 --opt retries=2 --opt maxBytes=N --opt resize=N]
                                   download images of URL-only items into the project (resumable)
  dedup --semantic [--threshold T] [--verify pixels|none] [--min-alignment A] [--policy pair|resolution|first] [--method graph|semdedup] [--model ID]
                                   semantic near-duplicate groups from the image embeddings (dup.semantic)
  search "text" [--k N] [--model ID] [--json]   text → image search over the embedded images
  views list | views show NAME     saved views made in the app (search, map region, filters)
  decide --keep|--exclude|--clear IDS|--tag-of TAG
                                   keep or exclude items by hand (IDS like 3,7,10-20): overrides every rule, in counts and exports
  tag TAG IDS|--tag-of OTHER [--remove]
                                   add (or remove) a tag on items
  doctor                           check native modules, execution providers and Electron
  gpu install                      install onnxruntime-node's CUDA execution provider
  models list                      built-in, downloadable and installed models with sizes
  models pull ID [--dtype D]       download a registry model (resumable, hash-checked; see README) with a progress bar
  models add|import PATH [--id ID] copy a local model folder in after validating it (also a distilled
                                   head folder: head.onnx + winnow-head.json, then adapt --head ID)
  models validate ID [--dtype D]   check files, load the graphs, report input/output names and shapes
  models rm ID                     remove an installed model (the built-in one stays)
  plan export --out FILE --output STORAGE [--project DIR] [--shards N] [--no-stages]
                                   write the project's sources, model, rules and dedup settings as a scale-out plan
  run-shard --plan FILE --shard i/N
                                   run shard i of N of a plan here (Slurm arrays, Kubernetes indexed Jobs; docs/scale-out.md)
  merge --plan FILE --shards N     merge the committed shards of a plan (sorted by key, duplicate groups, failures)
  export-shard --plan FILE --shard i/N [--format webdataset] [--opt key=value ...]
                                   after the merge, write shard i's kept items (original bytes) to export/<shard>/, once
  worker --queue redis://HOST:PORT [--concurrency N] [--lock-ms MS] [--rate N/s|N/min]
                                   serve shard and merge jobs of cluster runs (BullMQ on Redis)
  cluster run FILE --queue URL [--shards N] [--detach] [--export webdataset]
                                   submit a plan as shard jobs + a merge (+ one export job per shard after it);
                                   follow progress per shard with ETA (again: resume)
  cluster cancel FILE|RUN_ID --queue URL
                                   cancel a run (running shards stop after their batch; run the plan again to resume)
  cluster search "text" --plan FILE --shards N [--k K]
                                   text search over the per-shard indexes of a run, best k across shards
  cluster open RESULT --project DIR [--sample N]
                                   open a merged result (or a sample of it) as a project to review and export
  ${MODEL_SETTINGS_USAGE}

Every job command's --model defaults to the project's choice for that task (models choose).

Options: --json prints a machine-readable result on stdout.`;

/** Commands that keep running (a server, the app, a queue worker); every other command is one-shot. */
const LONG_LIVED = new Set(['start', 'serve', 'worker']);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      project: { type: 'string' }, rules: { type: 'string' }, force: { type: 'boolean' }, name: { type: 'string' }, port: { type: 'string' }, model: { type: 'string' },
      'no-open': { type: 'boolean' }, json: { type: 'boolean' }, dtype: { type: 'string' }, id: { type: 'string' },
      format: { type: 'string' }, out: { type: 'string' }, selection: { type: 'string' }, opt: { type: 'string', multiple: true },
      classes: { type: 'string' }, templates: { type: 'string' }, multi: { type: 'boolean' }, k: { type: 'string' }, threshold: { type: 'string' }, prompts: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      queries: { type: 'string' }, segment: { type: 'boolean' },
      adapted: { type: 'boolean' }, head: { type: 'string' }, distill: { type: 'string' }, order: { type: 'string' }, limit: { type: 'string' }, regions: { type: 'boolean' },
      plan: { type: 'string' }, shard: { type: 'string' }, shards: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' },
      'lock-ms': { type: 'string' }, rate: { type: 'string' }, detach: { type: 'boolean' }, 'no-stages': { type: 'boolean' }, export: { type: 'string' }, sample: { type: 'string' }, output: { type: 'string' },
      keep: { type: 'boolean' }, exclude: { type: 'boolean' }, clear: { type: 'boolean' }, remove: { type: 'boolean' }, 'tag-of': { type: 'string' },
      semantic: { type: 'boolean' }, policy: { type: 'string' }, method: { type: 'string' }, verify: { type: 'string' }, 'min-alignment': { type: 'string' },
      set: { type: 'string', multiple: true }, reset: { type: 'string', multiple: true },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const run = commands[command];
  if (!run) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  // A one-shot command parses each schema once or twice, where zod's JIT (a parser generated and compiled per object
  // schema) costs more than it saves: ~0.07 CPU-s of a `winnow search`. Parsing gives the same results either way.
  // (Imported here: the usage alone loads no zod.)
  if (!LONG_LIVED.has(command)) (await import('zod')).config({ jitless: true });
  const ctx: CommandContext = { args, values, print: (human, json) => (values.json ? console.log(JSON.stringify(json, null, 2)) : console.log(human)) };
  return run(ctx);
}

main().then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`winnow: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
