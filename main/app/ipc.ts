import { BrowserWindow, ipcMain } from 'electron';
import { isMethodName } from '../api/contract';
import { IPC_CHANNELS } from './channels';
import type { MlHost } from './ml-host';
import { navigationAllowed } from './security-policy';


/** Renderer calls go to the ML host unchanged (the host validates them against the contract). */
export function wireIpc(host: MlHost): void {
  ipcMain.handle(IPC_CHANNELS.call, async (event, method: unknown, input: unknown) => {
    if (!navigationAllowed(event.senderFrame?.url ?? '')) throw new Error('calls are accepted only from the Winnow renderer');
    if (typeof method !== 'string' || !isMethodName(method)) throw new Error(`unknown method ${String(method)}`);
    try {
      return { result: await host.call(method, input) };
    } catch (err) {
      return { error: { code: (err as { code?: string }).code ?? 'internal', message: (err as Error).message } };
    }
  });
}

export function broadcast(event: string, payload: unknown): void {
  for (const w of BrowserWindow.getAllWindows()) w.webContents.send(IPC_CHANNELS.event, event, payload);
}
