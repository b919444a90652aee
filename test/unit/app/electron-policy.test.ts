// Issue 13 item 4: the Electron session/window policy and packaging fuses, tested as data (no Electron binary runs here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packaging } from '../../../electron.config';
import { externalLinkAllowed, navigationAllowed, permissionAllowed, RENDERER_CSP, viewMenuRoles } from '../../../main/app/security-policy';
import { ROOT } from '../../fixtures/cli';

/** Minimal CSP source matching for scheme/host sources and 'self' (enough to check which origins a directive admits). */
function cspAllows(csp: string, directive: string, url: string, self: string): boolean {
  const entry = csp.split(';').map((d) => d.trim().split(/\s+/)).find(([name]) => name === directive)
    ?? csp.split(';').map((d) => d.trim().split(/\s+/)).find(([name]) => name === 'default-src')!;
  const target = new URL(url);
  return entry.slice(1).some((source) => {
    // Origins of non-special schemes serialise as "null" in Node; compare scheme and host as Chromium does for winnow://.
    if (source === "'self'") return target.protocol === new URL(self).protocol && target.host === new URL(self).host;
    if (/^[a-z][a-z0-9+.-]*:$/.test(source)) return target.protocol === source;
    if (source.includes('://')) return `${target.protocol}//${target.host}` === source;
    return false;
  });
}

describe('Electron session and window policy', () => {
  it('denies every permission except sanitized clipboard writes from the app itself', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'hid', 'serial', 'usb', 'display-capture', 'fullscreen', 'pointerLock']) {
      expect(permissionAllowed(p, 'winnow://app/index.html')).toBe(false);
    }
    expect(permissionAllowed('clipboard-sanitized-write', 'winnow://app/index.html')).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
  });

  it('opens only allowlisted https origins externally', () => {
    expect(externalLinkAllowed('https://huggingface.co/openai/clip-vit-base-patch32')).toBe(true);
    for (const url of ['http://huggingface.co/x', 'https://huggingface.co.evil.example/x', 'https://user:pw@huggingface.co/x', 'file:///etc/passwd',
      'smb://host/share', 'javascript:alert(1)', 'https://example.com/', 'not a url']) expect(externalLinkAllowed(url)).toBe(false);
    expect(navigationAllowed('winnow://app/index.html#review')).toBe(true);
    expect(navigationAllowed('winnow://media/image/1')).toBe(false);
    expect(navigationAllowed('https://example.com/')).toBe(false);
  });

  it('has a CSP that loads winnow://media images but no foreign scripts or images', () => {
    const self = 'winnow://app/index.html';
    expect(cspAllows(RENDERER_CSP, 'img-src', 'winnow://media/thumb/12', self)).toBe(true);
    expect(cspAllows(RENDERER_CSP, 'img-src', 'winnow://app/logo.png', self)).toBe(true);
    expect(cspAllows(RENDERER_CSP, 'img-src', 'https://example.com/x.png', self)).toBe(false);
    expect(cspAllows(RENDERER_CSP, 'script-src', 'winnow://media/thumb/12', self)).toBe(false);
    expect(cspAllows(RENDERER_CSP, 'script-src', 'https://example.com/x.js', self)).toBe(false);
    expect(RENDERER_CSP).toContain("object-src 'none'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-eval/);
  });

  it('keeps DevTools out of the packaged app menu', () => {
    expect(viewMenuRoles(true)).not.toContain('toggleDevTools');
    expect(viewMenuRoles(false)).toContain('toggleDevTools');
  });

  it('packages with the hardening fuses, under names electron-builder knows', () => {
    expect(packaging.electronFuses).toMatchObject({
      runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true, onlyLoadAppFromAsar: true,
    });
    // electron-builder's own schema is the ground truth for the option names (a typo would be silently ignored).
    const scheme = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
    const known = Object.keys(scheme.definitions.FuseOptionsV1.properties);
    for (const key of Object.keys(packaging.electronFuses)) expect(known).toContain(key);
    expect(Object.keys(scheme.properties)).toContain('electronFuses');
  });
});
