import { useEffect, useState } from 'react';
import { searchText } from '../state/similarity';
import { useStore } from '../state/store';

/** Text → image search over the grid (Enter runs it); in results mode, what is shown and the way back. */
export function SearchBar() {
  const results = useStore((s) => s.results);
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!results || results.kind !== 'text') setQuery('');
  }, [results]);

  const run = async () => {
    setBusy(true);
    try {
      await searchText(query);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="search-bar" data-testid="search-bar">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <span className="search-icon" aria-hidden>⌕</span>
        <input
          name="search"
          data-testid="search-input"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && (e.currentTarget.blur(), results && useStore.getState().setResults(null))}
          placeholder="Search images by text, e.g. “a photo of a red circle” (Enter)"
          aria-label="Search images by text"
        />
        {busy && <span className="muted small">searching…</span>}
      </form>
      {results && (
        <div className="results-info" data-testid="results-info">
          <span>
            <b>{results.ids.length.toLocaleString()}</b> {results.kind === 'map' ? '' : 'results for '}<span className="results-label">{results.label}</span>
            {results.scores && <span className="muted small"> · by {results.kind === 'text' ? 'text-image' : 'image'} similarity{results.method === 'index' ? ' (ANN index)' : ''}</span>}
          </span>
          <button className="link" data-testid="results-clear" onClick={() => useStore.getState().setResults(null)}>✕ Back to all items</button>
        </div>
      )}
    </div>
  );
}
