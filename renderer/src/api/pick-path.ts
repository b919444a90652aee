// Path pickers: Electron's native dialog when the preload offers it (window.winnow.pickPath), else the server-side
// folder browser (components/FolderBrowser.tsx) that browser mode shows.
export interface PickRequest { kind: 'folder' | 'file'; title?: string; defaultPath?: string }

type NativePick = (request: PickRequest) => Promise<string | null>;

/** The native picker, or null in browser mode. */
export function nativePicker(): NativePick | null {
  const bridge = (window as unknown as { winnow?: { pickPath?: NativePick } }).winnow;
  return bridge?.pickPath ? (r) => bridge.pickPath!(r) : null;
}

/** POSIX "/…", Windows "C:\…" or "\\server\…" (the API refuses anything else). */
export const isAbsolutePath = (p: string): boolean => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p);
