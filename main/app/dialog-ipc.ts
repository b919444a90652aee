// The native folder / file picker: one ipc channel, answered with dialog.showOpenDialog. No electron import here (the
// dialog function and ipcMain come in from main.ts), so the handler is unit-tested with a fake dialog.
import path from 'node:path';
import { z } from 'zod';
import { IPC_CHANNELS } from './channels';
import { navigationAllowed } from './security-policy';

export const PickPathRequest = z.object({
  kind: z.enum(['folder', 'file']),
  title: z.string().max(200).optional(),
  /** Where the dialog opens; ignored unless absolute. */
  defaultPath: z.string().max(4096).optional(),
}).strict();
export type PickPathRequest = z.output<typeof PickPathRequest>;

/** The part of Electron's OpenDialogOptions this uses. */
export interface PickDialogOptions { title?: string; defaultPath?: string; properties: ('openDirectory' | 'openFile' | 'createDirectory' | 'dontAddToRecent')[] }
export type ShowOpenDialog = (options: PickDialogOptions) => Promise<{ canceled: boolean; filePaths: string[] }>;
interface Sender { senderFrame?: { url: string } | null }

/** Answers a renderer's pick request: the absolute path chosen, or null when the person cancelled. */
export function pickPathHandler(showOpenDialog: ShowOpenDialog) {
  return async (event: Sender, request: unknown): Promise<string | null> => {
    if (!navigationAllowed(event.senderFrame?.url ?? '')) throw new Error('pick requests are accepted only from the Winnow renderer');
    const r = PickPathRequest.parse(request);
    const result = await showOpenDialog({
      ...(r.title && { title: r.title }),
      ...(r.defaultPath && path.isAbsolute(r.defaultPath) && { defaultPath: r.defaultPath }),
      properties: r.kind === 'folder' ? ['openDirectory', 'createDirectory', 'dontAddToRecent'] : ['openFile', 'dontAddToRecent'],
    });
    const chosen = result.canceled ? undefined : result.filePaths[0];
    return chosen && path.isAbsolute(chosen) ? chosen : null;
  };
}

/** Registers the picker on ipcMain (main.ts passes Electron's ipcMain and a showOpenDialog bound to the window). */
export function wirePickPath(ipcMain: { handle(channel: string, listener: (event: Sender, request: unknown) => unknown): void }, showOpenDialog: ShowOpenDialog): void {
  ipcMain.handle(IPC_CHANNELS.pickPath, pickPathHandler(showOpenDialog));
}
