// What the rest of the engine needs to know of the import-time model-input pass (inputs-job.ts) without loading
// it: the job module brings the preprocessing pool (child processes, worker threads), which a project open for a
// one-shot command such as `winnow search` never uses.

export const INPUTS_JOB = 'inputs';

/**
 * The pass runs only when asked (WINNOW_INPUT_PASS=1): it moves the decode out of the first embed but does not
 * remove it, and started right before an embed it costs more than it saves (bench:embed, 2 cores: input pass +
 * first embed 8.5 CPU ms per image against 6.6 for the embed job decoding the files itself). It pays on a machine
 * that idles between import and embed, or when detection and re-embeds follow.
 */
export function inputPassEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WINNOW_INPUT_PASS === '1';
}
