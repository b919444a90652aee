import { useState } from 'react';
import { api } from '../api/client';
import { useStore } from '../state/store';
import { PathField, useAbsolutePath } from '../components/PathField';

/** No project open: create one in a folder, or open an existing or recent one. */
export function Welcome() {
  const info = useStore((s) => s.info)!;
  const error = useStore((s) => s.error);
  const [dir, setDir] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const { ensure, prompt } = useAbsolutePath();
  const create = (abs: string) => { setDir(abs); void run(() => api.call('project.create', { dir: abs, ...(name.trim() ? { name: name.trim() } : {}) })); };
  const open = (abs: string) => { setDir(abs); void run(() => api.call('project.open', { dir: abs })); };

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
          void ensure(dir, create);
        }}
      >
        <h2>New project</h2>
        <label>
          Project folder
          <PathField name="project-dir" kind="folder" title="Project folder" value={dir} onChange={setDir} placeholder="/home/me/datasets/my-project" required />
        </label>
        <label>
          Name <span className="muted">(optional)</span>
          <input name="project-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="My dataset" />
        </label>
        <div className="row">
          <button type="submit" disabled={busy || !dir.trim()}>Create project</button>
          <button type="button" className="secondary" disabled={busy || !dir.trim()} onClick={() => void ensure(dir, open)}>
            Open existing
          </button>
        </div>
        {prompt}
        {error && <p className="error" role="alert">{error}</p>}
      </form>
      {info.recentProjects.length > 0 && (
        <div className="card">
          <h2>Recent</h2>
          <ul className="recent">
            {info.recentProjects.map((p) => (
              <li key={p}>
                <button className="link" data-testid="recent-project" onClick={() => void run(() => api.call('project.open', { dir: p }))}>{p}</button>
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
