import { useEffect, useState } from 'react';
import type { SelectionCompareT, SelectionT } from '../../../main/api/methods/curation';
import { api } from '../api/client';
import { useStore } from '../state/store';

/** Above the grid while it is filtered by a selection: what it shows, and a way back. */
export function SelectionBanner() {
  const selection = useStore((s) => s.gridSelection);
  const count = useStore((s) => s.itemCount);
  const name = selection && 'name' in selection ? selection.name : null;
  const snapshot = useSnapshot(name);
  if (!selection) return null;
  const gallery = 'rules' in selection && selection.rule ? selection.rules.find((r) => r.id === selection.rule) : undefined;
  const what = 'name' in selection ? `selection “${selection.name}”` : gallery ? `rule “${gallery.label ?? gallery.id}”${selection.only ? ' and no other rule' : ''}` : 'the current filter rules';
  const show = selection.show ?? 'kept';
  return (
    <div className={`selection-banner ${show}`} data-testid="selection-banner">
      <span>
        Showing <b>{count.toLocaleString()}</b> {count === 1 ? 'item' : 'items'} {show === 'removed' ? 'removed by' : 'kept by'} {what}
        {snapshot && <SnapshotNote {...snapshot} />}
      </span>
      <span className="spacer" />
      {!gallery && <button className="link" onClick={() => useStore.getState().setGridSelection({ ...selection, show: show === 'kept' ? 'removed' : 'kept' })} data-testid="toggle-removed">
        {show === 'kept' ? 'Show removed' : 'Show kept'}
      </button>}
      {snapshot && snapshot.compare.onlyInSnapshot + snapshot.compare.onlyLive > 0 && (
        <>
          <button className="link" onClick={() => useStore.getState().setGridSelection({ rules: snapshot.selection.rules, show })} data-testid="show-live">Re-evaluate rules</button>
          <button className="link" onClick={() => void refresh(snapshot.selection.name, show)} data-testid="refresh-snapshot">Update snapshot</button>
        </>
      )}
      <button className="link" onClick={() => useStore.getState().setView('filters')}>Edit filters</button>
      <button className="link" onClick={() => useStore.getState().setGridSelection(null)}>Clear</button>
    </div>
  );
}

/** A saved selection is a frozen snapshot: say when it was frozen and whether its rules select differently today. */
function SnapshotNote({ selection, compare }: { selection: SelectionT; compare: SelectionCompareT }) {
  const frozen = selection.frozenAt ? new Date(selection.frozenAt).toLocaleString() : 'on upgrade';
  const differ = compare.onlyInSnapshot + compare.onlyLive;
  return (
    <span className="snapshot-note" data-testid="snapshot-note">
      {' '}· snapshot of {frozen} ({selection.runIds.length} {selection.runIds.length === 1 ? 'run' : 'runs'})
      {differ > 0 ? `; its rules today keep ${compare.liveKept.toLocaleString()} (${differ.toLocaleString()} differ)` : '; its rules today select the same items'}
    </span>
  );
}

function useSnapshot(name: string | null): { selection: SelectionT; compare: SelectionCompareT } | null {
  const [state, setState] = useState<{ selection: SelectionT; compare: SelectionCompareT } | null>(null);
  const count = useStore((s) => s.itemCount);
  useEffect(() => {
    setState(null);
    if (!name) return;
    let live = true;
    Promise.all([api.call('selection.get', { name }), api.call('selection.compare', { name })])
      .then(([selection, compare]) => live && setState({ selection, compare }), () => undefined);
    return () => {
      live = false;
    };
  }, [name, count]);
  return state;
}

async function refresh(name: string, show: 'kept' | 'removed') {
  await api.call('selection.refresh', { name });
  // Same filter object identity would not reload the grid: set it anew.
  useStore.getState().setGridSelection({ name, show });
}
