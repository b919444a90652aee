import path from 'node:path';
import { app, BrowserWindow, shell } from 'electron';

/** The one window: sandboxed renderer, isolated preload, no navigation away and no new windows. */
export function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400, height: 900, minWidth: 900, minHeight: 600, title: 'Winnow', show: false, backgroundColor: '#15171a',
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL('winnow://app/index.html');
  return win;
}

export function lockDownNavigation(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith('winnow://app/')) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser, never inside Winnow.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}
