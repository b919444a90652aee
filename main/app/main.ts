import path from 'node:path';
import { app } from 'electron';
import { broadcast, wireIpc } from './ipc';
import { installMenu } from './menu';
import { MlHost } from './ml-host';
import { handleProtocol, registerScheme } from './protocol';
import { createWindow, lockDownNavigation } from './window';

registerScheme();
lockDownNavigation();

const projectFlag = process.argv.indexOf('--project');
const projectDir = projectFlag >= 0 ? process.argv[projectFlag + 1] : undefined;

app.whenReady().then(async () => {
  const host = new MlHost(projectDir, broadcast);
  handleProtocol(host, path.join(__dirname, '..', '..', 'renderer'));
  wireIpc(host);
  installMenu();
  await host.ready;
  createWindow();
  app.on('window-all-closed', () => {
    host.kill();
    app.quit();
  });
});
