import { BrowserWindow, ipcMain } from 'electron';
import { isMethodName } from '../api/contract';
import type { MlHost } from './ml-host';

export const CALL_CHANNEL = 'winnow:call';
export const EVENT_CHANNEL = 'winnow:event';

/** Renderer calls go to the ML host unchanged (the host validates them against the contract). */
export function wireIpc(host: MlHost): void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!event.senderFrame?.url.startsWith('winnow://app/')) throw new Error('calls are accepted only from the Winnow renderer');
    if (typeof method !== 'string' || !isMethodName(method)) throw new Error(`unknown method ${String(method)}`);
    try {
      return { result: await host.call(method, input) };
    } catch (err) {
      return { error: { code: (err as { code?: string }).code ?? 'internal', message: (err as Error).message } };
    }
  });
}

export function broadcast(event: string, payload: unknown): void {
  for (const w of BrowserWindow.getAllWindows()) w.webContents.send(EVENT_CHANNEL, event, payload);
}
