// The location hash ⇄ the place a curator is at (screen, view, cursor, scroll, open item). No DOM, no store.
import type { ViewStateT } from '../../../main/api/contract';
import type { View } from './store';

const VIEWS: readonly View[] = ['grid', 'issues', 'models', 'filters', 'duplicates', 'labels', 'map', 'review'];

export interface UrlState { page: View; view: ViewStateT; cursor: number; top: number; item: number | null }

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

