// The native picker's ipc handler with a fake dialog: the options it opens the dialog with, what it answers, and
// what it refuses (other frames, bad requests, relative answers).
import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../../../main/app/channels';
import { type PickDialogOptions, pickPathHandler, wirePickPath } from '../../../main/app/dialog-ipc';

const app = { senderFrame: { url: 'winnow://app/index.html' } };

function fakeDialog(answer: { canceled: boolean; filePaths: string[] }) {
  const seen: PickDialogOptions[] = [];
  return { seen, show: async (o: PickDialogOptions) => { seen.push(o); return answer; } };
}

describe('pick-path ipc handler', () => {
  it('opens a folder dialog (absolute default path kept) and returns the chosen folder', async () => {
    const d = fakeDialog({ canceled: false, filePaths: ['/data/photos'] });
    expect(await pickPathHandler(d.show)(app, { kind: 'folder', title: 'Project folder', defaultPath: '/data' })).toBe('/data/photos');
    expect(d.seen).toEqual([{ title: 'Project folder', defaultPath: '/data', properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'] }]);
  });

  it('opens a file dialog; a relative default path is dropped', async () => {
    const d = fakeDialog({ canceled: false, filePaths: ['/data/manifest.jsonl'] });
    expect(await pickPathHandler(d.show)(app, { kind: 'file', defaultPath: 'relative/dir' })).toBe('/data/manifest.jsonl');
    expect(d.seen).toEqual([{ properties: ['openFile', 'dontAddToRecent'] }]);
  });

  it('answers null when cancelled or when the dialog gives nothing absolute', async () => {
    expect(await pickPathHandler(fakeDialog({ canceled: true, filePaths: ['/x'] }).show)(app, { kind: 'folder' })).toBeNull();
    expect(await pickPathHandler(fakeDialog({ canceled: false, filePaths: [] }).show)(app, { kind: 'folder' })).toBeNull();
    expect(await pickPathHandler(fakeDialog({ canceled: false, filePaths: ['x/y'] }).show)(app, { kind: 'folder' })).toBeNull();
  });

  it('refuses other frames and malformed requests without opening a dialog', async () => {
    const d = fakeDialog({ canceled: false, filePaths: ['/x'] });
    await expect(pickPathHandler(d.show)({ senderFrame: { url: 'https://example.org/' } }, { kind: 'folder' })).rejects.toThrow(/only from the Winnow renderer/);
    await expect(pickPathHandler(d.show)({ senderFrame: null }, { kind: 'folder' })).rejects.toThrow(/only from the Winnow renderer/);
    await expect(pickPathHandler(d.show)(app, { kind: 'anything' })).rejects.toThrow();
    await expect(pickPathHandler(d.show)(app, { kind: 'folder', extra: 1 })).rejects.toThrow();
    expect(d.seen).toEqual([]);
  });

  it('registers on its own channel', async () => {
    const handlers = new Map<string, (e: unknown, r: unknown) => unknown>();
    wirePickPath({ handle: (channel, listener) => handlers.set(channel, listener as never) }, fakeDialog({ canceled: false, filePaths: ['/p'] }).show);
    expect([...handlers.keys()]).toEqual([IPC_CHANNELS.pickPath]);
    expect(await handlers.get(IPC_CHANNELS.pickPath)!(app, { kind: 'folder' })).toBe('/p');
  });
});
