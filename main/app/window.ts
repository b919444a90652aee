import path from 'node:path';
import { app, BrowserWindow, session, shell } from 'electron';
import { externalLinkAllowed, navigationAllowed, permissionAllowed } from './security-policy';

/** The one window: sandboxed renderer, isolated preload, no navigation away and no new windows. */
export function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400, height: 900, minWidth: 900, minHeight: 600, title: 'Winnow', show: false, backgroundColor: '#15171a',
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false,
      devTools: !app.isPackaged, disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL('winnow://app/index.html');
  return win;
}

/** Shown instead of the app when the ML host cannot start: the reason, not an empty window that never loads. */
export function createErrorWindow(reason: string): BrowserWindow {
  const win = new BrowserWindow({ width: 640, height: 320, title: 'Winnow could not start', webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, devTools: false, disableBlinkFeatures: 'Auxclick' } });
  const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<body style="font:14px system-ui;background:#15171a;color:#eee;padding:24px"><h2>Winnow could not start its engine</h2><pre style="white-space:pre-wrap"></pre></body>`;
  void win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html.replace('<pre style="white-space:pre-wrap"></pre>', `<pre style="white-space:pre-wrap">${escapeHtml(reason)}</pre>`))}`);
  return win;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function lockDownNavigation(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!navigationAllowed(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Model cards open in the user's browser, never inside Winnow; any other URL is dropped.
      if (externalLinkAllowed(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

/** Every permission Winnow does not use is denied, both when a page asks and when it checks. */
export function lockDownPermissions(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((contents, permission, callback) => callback(permissionAllowed(permission, contents.getURL())));
  s.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionAllowed(permission, `${requestingOrigin}/`));
}
