// Sandboxed preload: exposes the typed API as window.winnow and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNELS } from '../main/app/channels';

contextBridge.exposeInMainWorld('winnow', {
  call: (method: string, input: unknown) => ipcRenderer.invoke(IPC_CHANNELS.call, method, input),
  on: (listener: (event: string, payload: unknown) => void) => {
    const wrapped = (_e: unknown, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(IPC_CHANNELS.event, wrapped);
    return () => ipcRenderer.off(IPC_CHANNELS.event, wrapped);
  },
  /** The native folder / file picker: the absolute path chosen, or null. */
  pickPath: (request: { kind: 'folder' | 'file'; title?: string; defaultPath?: string }) => ipcRenderer.invoke(IPC_CHANNELS.pickPath, request),
});
