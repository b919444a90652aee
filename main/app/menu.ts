import { app, Menu, type MenuItemConstructorOptions } from 'electron';
import { viewMenuRoles } from './security-policy';

export function installMenu(): void {
  const view = viewMenuRoles(app.isPackaged).map((role): MenuItemConstructorOptions => (role === 'separator' ? { type: 'separator' } : { role }));
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
