import { useEffect } from 'react';
import { useStore } from '../state/store';
import { Grid } from '../views/Grid';
import { IssuesView } from '../views/IssuesView';
import { ModelsView } from '../views/ModelsView';
import { ItemPanel } from '../views/ItemPanel';
import { Welcome } from '../views/Welcome';
import { JobsPanel } from '../components/JobsPanel';
import { Sidebar } from '../components/Sidebar';
import { StatusBar } from '../components/StatusBar';
import { subscribeToEngine } from './events';

export function App() {
  const info = useStore((s) => s.info);
  const view = useStore((s) => s.view);
  const openItem = useStore((s) => s.openItem);
  const error = useStore((s) => s.error);

  useEffect(() => {
    const off = subscribeToEngine();
    void useStore.getState().boot();
    return off;
  }, []);

  if (!info) return <div className="boot">{error ? `Cannot reach the Winnow engine: ${error}` : 'Starting Winnow…'}</div>;
  if (!info.project) return <Welcome />;
  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        {view === 'grid' ? <Grid /> : view === 'models' ? <ModelsView /> : <IssuesView />}
        <JobsPanel />
      </main>
      {openItem !== null && <ItemPanel id={openItem} />}
      <StatusBar />
      {error && (
        <div className="toast" role="alert" onClick={() => useStore.setState({ error: null })}>
          {error}
        </div>
      )}
    </div>
  );
}
