// URL state: the screen, the current view, the cursor, the scroll position and the open item live in the
// location hash, so a reload (or a copied link in browser mode) comes back to the same place.
import type { ViewStateT } from '../../../main/api/contract';
import { applyViewState, currentViewState } from './view-state';
import { type View, useStore } from './store';

const VIEWS: readonly View[] = ['grid', 'issues', 'models', 'filters', 'duplicates', 'labels', 'map', 'review'];

interface UrlState { page: View; view: ViewStateT; cursor: number; top: number; item: number | null }

export function encodeUrlState(u: UrlState): string {
  const q = new URLSearchParams();
  if (u.page !== 'grid') q.set('page', u.page);
  if (Object.keys(u.view).length) q.set('view', JSON.stringify(u.view));
  if (u.cursor) q.set('at', String(u.cursor));
  if (u.top) q.set('top', String(u.top));
  if (u.item !== null) q.set('item', String(u.item));
  return q.toString();
}

export function decodeUrlState(hash: string): UrlState | null {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  if ([...q.keys()].length === 0) return null;
  let view: ViewStateT = {};
  try {
    view = q.has('view') ? (JSON.parse(q.get('view')!) as ViewStateT) : {};
  } catch {
    // A hand-edited or truncated link: keep the rest of it.
  }
  const page = q.get('page') as View | null;
  const num = (k: string) => (Number.isSafeInteger(Number(q.get(k))) ? Math.max(0, Number(q.get(k))) : 0);
  return { page: page && VIEWS.includes(page) ? page : 'grid', view, cursor: num('at'), top: num('top'), item: q.has('item') ? num('item') || null : null };
}

/** Restores the URL's state once a project is open, then keeps the URL up to date. Returns the unsubscribe. */
export function syncUrlState(): () => void {
  let restored = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const write = () => {
    timer = null;
    const s = useStore.getState();
    if (!s.info?.project) return;
    const hash = encodeUrlState({ page: s.view, view: currentViewState(s), cursor: s.cursor, top: s.topIndex, item: s.openItem });
    if (hash !== location.hash.replace(/^#/, '')) history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  };
  const restore = async () => {
    const u = decodeUrlState(location.hash);
    if (!u) return;
    try {
      if (Object.keys(u.view).length) await applyViewState(u.view);
    } finally {
      useStore.setState({ view: u.page, cursor: u.cursor, restoreTop: u.top || null, openItem: u.item });
    }
  };
  const off = useStore.subscribe((s) => {
    if (!s.info?.project) return;
    if (!restored) {
      restored = true;
      void restore();
      return;
    }
    timer ??= setTimeout(write, 150);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
