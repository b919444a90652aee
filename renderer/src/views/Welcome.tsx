import { useState } from 'react';
import { api } from '../api/client';
import { useStore } from '../state/store';

/** No project open: create one in a folder, or open an existing or recent one. */
export function Welcome() {
  const info = useStore((s) => s.info)!;
  const error = useStore((s) => s.error);
  const [dir, setDir] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    useStore.setState({ error: null });
    try {
      await action();
      await useStore.getState().boot();
    } catch (err) {
      useStore.getState().report(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="welcome">
      <h1>Winnow</h1>
      <p className="muted">Curate image-text datasets with a local vision-language model. Nothing leaves this machine.</p>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.call('project.create', { dir: dir.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
        }}
      >
        <h2>New project</h2>
        <label>
          Project folder
          <input name="project-dir" value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/home/me/datasets/my-project" required />
        </label>
        <label>
          Name <span className="muted">(optional)</span>
          <input name="project-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="My dataset" />
        </label>
        <div className="row">
          <button type="submit" disabled={busy || !dir.trim()}>Create project</button>
          <button type="button" className="secondary" disabled={busy || !dir.trim()} onClick={() => void run(() => api.call('project.open', { dir: dir.trim() }))}>
            Open existing
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
      </form>
      {info.recentProjects.length > 0 && (
        <div className="card">
          <h2>Recent</h2>
          <ul className="recent">
            {info.recentProjects.map((p) => (
              <li key={p}>
                <button className="link" onClick={() => void run(() => api.call('project.open', { dir: p }))}>{p}</button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <p className="muted small">
        Models: the built-in one works offline; <button className="link" data-testid="welcome-models" onClick={() => useStore.getState().setView('models')}>pull, import or validate others</button>.
      </p>
    </div>
  );
}
