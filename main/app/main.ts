import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain } from 'electron';
import { wirePickPath } from './dialog-ipc';
import { HOST_STATUS_EVENT } from './channels';
import type { HostStatus } from './host-supervisor';
import { broadcast, wireIpc } from './ipc';
import { installMenu } from './menu';
import { MlHost } from './ml-host';
import { handleProtocol, registerScheme } from './protocol';
import { createErrorWindow, createWindow, lockDownNavigation, lockDownPermissions } from './window';

registerScheme();
lockDownNavigation();

const projectFlag = process.argv.indexOf('--project');
const projectDir = projectFlag >= 0 ? process.argv[projectFlag + 1] : undefined;

function showHostStatus(status: HostStatus): void {
  broadcast(HOST_STATUS_EVENT, status);
  const win = BrowserWindow.getAllWindows()[0];
  if (status.state === 'restarting' && win) {
    void dialog.showMessageBox(win, { type: 'warning', message: 'The Winnow engine stopped and was restarted', detail: `${status.reason}. Running jobs resume from their last checkpoint.` });
  } else if (status.state === 'failed' && win) {
    dialog.showErrorBox('The Winnow engine stopped', status.reason);
  }
}

app.whenReady().then(async () => {
  lockDownPermissions();
  const host = new MlHost(projectDir, broadcast, showHostStatus);
  handleProtocol(host, path.join(__dirname, '..', '..', 'renderer'));
  wireIpc(host);
  wirePickPath(ipcMain, (options) => {
    const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    return win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options);
  });
  installMenu();
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    // Close the engine before exiting, so the next start finds paused jobs, not a crash to recover from.
    event.preventDefault();
    quitting = true;
    void host.stop().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
  try {
    await host.ready;
    createWindow();
  } catch (err) {
    createErrorWindow((err as Error).message);
  }
});
