// Projects and paths: back to the welcome screen, and the server-side folder browser of browser mode (Electron shows
// the native dialog instead, main/app/dialog-ipc.ts). Imports only zod: contract.ts imports this file.
import { z } from 'zod';

/** An absolute path (POSIX "/…", Windows "C:\…" or "\\server\…"): a relative one would be read against the server's working folder. */
export const absolutePath = z.string().min(1).max(4096).refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), {
  message: 'must be an absolute path (a relative one would depend on where the server runs; choose the folder with Browse…)',
});

const Entry = z.object({ name: z.string(), path: z.string(), kind: z.enum(['dir', 'file']), project: z.boolean() });

export const projectMethods = {
  /** Closes the open project (jobs checkpointed); the UI goes back to the welcome screen. */
  'project.close': () => ({ input: z.object({}).strict(), output: z.object({ closed: z.boolean() }) }),
  /** Readable sub-folders (and with `files`, files) of `dir` (default: the first allowed root, else home), within WINNOW_BROWSE_ROOTS when set. */
  'fs.list': () => ({
    input: z.object({ dir: absolutePath.optional(), files: z.boolean().optional(), hidden: z.boolean().optional() }).strict(),
    output: z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(Entry), roots: z.array(z.string()), truncated: z.boolean() }),
  }),
  /** What a typed path means: "~" is home, a relative path starts at the first browse root (else home), never the server's working folder; the UI shows it and asks. */
  'fs.resolve': () => ({
    input: z.object({ path: z.string().trim().min(1).max(4096) }).strict(),
    output: z.object({ input: z.string(), absolute: z.string(), wasRelative: z.boolean(), exists: z.boolean(), kind: z.enum(['dir', 'file']).nullable(), base: z.string().nullable() }),
  }),
} as const;
