// URL state: the screen, the current view, the cursor, the scroll position and the open item live in the
// location hash, so a reload (or a copied link in browser mode) comes back to the same place.
import { applyViewState, currentViewState } from './view-state';
import { useStore } from './store';
import { decodeUrlState, encodeUrlState } from './url-codec';

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
