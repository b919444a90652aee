import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect } from 'react';
import { queryClient } from '../api/queries';
import { useStore } from '../state/store';
import { Grid } from '../views/Grid';
import { IssuesView } from '../views/IssuesView';
import { ModelsView } from '../views/ModelsView';
import { ItemPanel } from '../views/ItemPanel';
import { Welcome } from '../views/Welcome';
import { DuplicatesView } from '../views/DuplicatesView';
import { FiltersView } from '../views/FiltersView';
import { SelectionBanner } from '../components/SelectionBanner';
import { FitBanner } from '../components/FitBanner';
import { JobsPanel } from '../components/JobsPanel';
import { ExportDialog } from '../components/ExportDialog';
import { Sidebar } from '../components/Sidebar';
import { LabelBanner, LabelsView } from '../views/LabelsView';
import { StatusBar } from '../components/StatusBar';
import { SearchBar } from '../components/SearchBar';
import { DecideBar } from '../components/DecideBar';
import { MapView } from '../views/MapView';
import { ReviewView } from '../views/review/ReviewView';
import { subscribeToEngine } from './events';
import { Toast } from '../components/Toast';
import { syncUrlState } from '../state/url-state';

export function App() {
  return <QueryClientProvider client={queryClient}><Shell /></QueryClientProvider>;
}

function Shell() {
  const info = useStore((s) => s.info);
  const view = useStore((s) => s.view);
  const openItem = useStore((s) => s.openItem);
  const error = useStore((s) => s.error);

  useEffect(() => {
    const off = subscribeToEngine();
    const offUrl = syncUrlState();
    void useStore.getState().boot();
    return () => { off(); offUrl(); };
  }, []);

  if (!info) return <div className="boot">{error ? `Cannot reach the Winnow engine: ${error}` : 'Starting Winnow…'}</div>;
  // Models can be managed before any project exists (pull one, then create the project).
  if (!info.project && view === 'models') {
    return (
      <div className="solo">
        <button className="link back" onClick={() => useStore.getState().setView('grid')}>← Back</button>
        <ModelsView />
        <Toast />
      </div>
    );
  }
  if (!info.project) return <Welcome />;
  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        {view === 'grid' ? <><SearchBar /><FitBanner /><SelectionBanner /><LabelBanner /><DecideBar /><Grid /></> : view === 'map' ? <MapView /> : view === 'review' ? <ReviewView /> : view === 'labels' ? <LabelsView /> : view === 'filters' ? <FiltersView /> : view === 'duplicates' ? <DuplicatesView /> : view === 'models' ? <ModelsView /> : <IssuesView />}
        <JobsPanel />
      </main>
      {openItem !== null && <ItemPanel id={openItem} />}
      <StatusBar />
      <ExportDialog />
      <Toast />
    </div>
  );
}
