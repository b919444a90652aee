// Electron session and window policy as plain data and functions (no electron import), so it is unit-tested without a binary.

/** Permissions Winnow's renderer uses; every other request (camera, geolocation, notifications, HID, ...) is denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function permissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && requestingUrl.startsWith('winnow://app/');
}

/** Origins whose pages may open in the user's browser (model cards); anything else is dropped. */
export const EXTERNAL_LINK_ORIGINS: ReadonlySet<string> = new Set(['https://huggingface.co']);

export function externalLinkAllowed(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && !parsed.username && !parsed.password && EXTERNAL_LINK_ORIGINS.has(parsed.origin);
}

/** Navigation inside the window stays on the app's own pages. */
export function navigationAllowed(url: string): boolean {
  return url.startsWith('winnow://app/');
}

/**
 * The window's CSP. winnow://app is 'self'; media comes from winnow://media, another origin of the same scheme, so img-src
 * names it explicitly (without it every thumbnail is blocked).
 */
export const RENDERER_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' winnow://media data: blob:",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export type MenuRole = 'reload' | 'forceReload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'separator';

/** The View menu: DevTools only in development builds (a packaged app has no way to open them from the menu). */
export function viewMenuRoles(isPackaged: boolean): MenuRole[] {
  return [...(isPackaged ? [] : (['reload', 'toggleDevTools'] as MenuRole[])), 'resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'];
}
