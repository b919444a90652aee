// Sandboxed preload: exposes the typed API as window.winnow and nothing else.
import { contextBridge, ipcRenderer } from 'electron';

const CALL_CHANNEL = 'winnow:call';
const EVENT_CHANNEL = 'winnow:event';

contextBridge.exposeInMainWorld('winnow', {
  call: (method: string, input: unknown) => ipcRenderer.invoke(CALL_CHANNEL, method, input),
  on: (listener: (event: string, payload: unknown) => void) => {
    const wrapped = (_e: unknown, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.off(EVENT_CHANNEL, wrapped);
  },
});
