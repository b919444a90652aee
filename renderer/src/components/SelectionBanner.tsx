import { useStore } from '../state/store';

/** Above the grid while it is filtered by a selection: what it shows, and a way back. */
export function SelectionBanner() {
  const selection = useStore((s) => s.gridSelection);
  const count = useStore((s) => s.itemCount);
  if (!selection) return null;
  const what = 'name' in selection ? `selection “${selection.name}”` : 'the current filter rules';
  const show = selection.show ?? 'kept';
  return (
    <div className={`selection-banner ${show}`} data-testid="selection-banner">
      <span>
        Showing <b>{count.toLocaleString()}</b> {count === 1 ? 'item' : 'items'} {show === 'removed' ? 'removed by' : 'kept by'} {what}
      </span>
      <span className="spacer" />
      <button className="link" onClick={() => useStore.getState().setGridSelection({ ...selection, show: show === 'kept' ? 'removed' : 'kept' })} data-testid="toggle-removed">
        {show === 'kept' ? 'Show removed' : 'Show kept'}
      </button>
      <button className="link" onClick={() => useStore.getState().setView('filters')}>Edit filters</button>
      <button className="link" onClick={() => useStore.getState().setGridSelection(null)}>Clear</button>
    </div>
  );
}
