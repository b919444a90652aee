import { useState } from 'react';
import { api } from '../api/client';
import { useStore } from '../state/store';
import { openExportDialog } from './ExportDialog';
import { SavedViewsList } from './SavedViews';
import { PathField, useAbsolutePath } from './PathField';
import { ProjectSwitcher } from './ProjectSwitcher';

/** Project name, sources (click to filter the grid), adding a source, and the views. */
export function Sidebar() {
  const info = useStore((s) => s.info)!;
  const sources = useStore((s) => s.sources);
  const sourceFilter = useStore((s) => s.sourceFilter);
  const gridSelection = useStore((s) => s.gridSelection);
  const labelFilter = useStore((s) => s.labelFilter);
  const region = useStore((s) => s.region);
  const view = useStore((s) => s.view);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const project = info.project!;

  const { ensure, prompt } = useAbsolutePath();
  const add = async (abs: string) => {
    setPath(abs);
    setBusy(true);
    try {
      await api.call('sources.add', { path: abs });
      setPath('');
      await useStore.getState().refresh();
    } catch (err) {
      useStore.getState().report(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="logo">W</span>
        <div>
          <div className="project-name" title={project.dir}>{project.name}</div>
          <div className="muted small">{project.itemCount.toLocaleString()} items</div>
          <ProjectSwitcher />
        </div>
      </div>
      <nav className="nav">
        <button className={view === 'grid' && sourceFilter === null && !gridSelection && !labelFilter && !region ? 'active' : ''} onClick={() => useStore.getState().setSourceFilter(null)}>
          All items <span className="count">{project.itemCount.toLocaleString()}</span>
        </button>
        <button className={view === 'issues' ? 'active' : ''} onClick={() => useStore.getState().setView('issues')} data-testid="nav-issues">
          Issues <span className={`count ${project.issueCount ? 'warn' : ''}`}>{project.issueCount.toLocaleString()}</span>
        </button>
        <button className={view === 'filters' || (view === 'grid' && gridSelection) ? 'active' : ''} onClick={() => useStore.getState().setView('filters')} data-testid="nav-filters">
          Filters
        </button>
        <button className={view === 'duplicates' ? 'active' : ''} onClick={() => useStore.getState().setView('duplicates')} data-testid="nav-duplicates">
          Duplicates
        </button>
        <button className={view === 'labels' || (view === 'grid' && labelFilter) ? 'active' : ''} onClick={() => useStore.getState().setView('labels')} data-testid="nav-labels">
          Labels
        </button>
        <button className={view === 'review' ? 'active' : ''} onClick={() => useStore.getState().setView('review')} data-testid="nav-review">
          Review
        </button>
        <button className={view === 'map' ? 'active' : ''} onClick={() => useStore.getState().setView('map')} data-testid="nav-map">
          Embedding map
        </button>
        <button className={view === 'models' ? 'active' : ''} onClick={() => useStore.getState().setView('models')} data-testid="nav-models">
          Models
        </button>
        <button onClick={openExportDialog} data-testid="nav-export">
          Export…
        </button>
      </nav>
      <SavedViewsList />
      <h3>Sources</h3>
      <ul className="sources">
        {sources.map((s) => (
          <li key={s.id}>
            <button className={sourceFilter === s.id && view === 'grid' ? 'active' : ''} title={s.path} onClick={() => useStore.getState().setSourceFilter(s.id)}>
              <span className="kind">{s.kind}</span>
              <span className="name">{s.name}</span>
              <span className="count">{s.itemCount.toLocaleString()}</span>
            </button>
          </li>
        ))}
        {sources.length === 0 && <li className="muted small">No sources yet: add an image folder, a JSONL/CSV manifest, WebDataset tars, Parquet, a Hugging Face imagefolder, a COCO .json or a YOLO data.yaml.</li>}
      </ul>
      <form
        className="add-source"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) void ensure(path, (abs) => void add(abs));
        }}
      >
        <PathField name="source-path" kind="any" title="Folder or manifest to import" value={path} onChange={setPath} placeholder="Folder or manifest path" />
        <button type="submit" disabled={busy || !path.trim()}>Import</button>
      </form>
      {prompt}
    </aside>
  );
}
