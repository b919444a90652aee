import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { loadMoreResults, runSearch, searchText } from '../state/similarity';
import { useStore } from '../state/store';
import { SaveViewButton } from './SavedViews';
import { EmbedPrompt } from './EmbedPrompt';

/**
 * Text → image search inside the current view (Enter runs it), a similarity cutoff, and the view itself:
 * one chip per filter (source, rules, label, map region, search), each with ✕, and "Save view".
 */
export function SearchBar() {
  const results = useStore((s) => s.results);
  const [query, setQuery] = useState('');
  const [cutoff, setCutoff] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (results?.search && 'text' in results.search) setQuery(results.search.text);
    else if (!results) setQuery('');
    setCutoff(results?.minScore !== undefined ? String(results.minScore) : '');
  }, [results?.search, results?.minScore]);

  const minScore = () => (cutoff.trim() !== '' && Number.isFinite(Number(cutoff)) ? Number(cutoff) : undefined);
  const run = async () => {
    setBusy(true);
    try {
      // Same search, new cutoff ("more like" has no text in the box): search again with it.
      if (!query.trim() && results?.search) await runSearch(results.search, minScore(), results.label);
      else await searchText(query, minScore());
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="search-bar" data-testid="search-bar">
      <form onSubmit={(e) => { e.preventDefault(); void run(); }}>
        <span className="search-icon" aria-hidden>⌕</span>
        <input
          name="search"
          data-testid="search-input"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && (e.currentTarget.blur(), results && useStore.getState().setResults(null))}
          placeholder="Search images by text inside this view, e.g. “a photo of a red circle” (Enter)"
          aria-label="Search images by text"
        />
        <label className="cutoff small muted" title="Leave out hits below this cosine similarity">
          min similarity
          <input name="min-score" data-testid="search-cutoff" inputMode="decimal" value={cutoff} placeholder="any" onChange={(e) => setCutoff(e.target.value)} aria-label="Minimum similarity" />
        </label>
        {busy && <span className="muted small">searching…</span>}
        {/* Two fields: without a submit button, Enter would not submit the form. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </form>
      <ViewChips />
      {results && (
        <div className="results-info" data-testid="results-info">
          <span>
            <b>{results.ids.length.toLocaleString()}{results.more ? '+' : ''}</b> results for <span className="results-label">{results.label}</span>
            {results.minScore !== undefined && <span className="muted small"> · similarity ≥ {results.minScore}</span>}
            {results.scores && <span className="muted small"> · by {results.kind === 'text' ? 'text-image' : 'image'} similarity</span>}
            <SearchMethod />
          </span>
          {results.more && <button className="link" data-testid="results-more" onClick={() => void loadMoreResults()}>Load {100} more</button>}
          <button className="link" data-testid="results-clear" onClick={() => useStore.getState().setResults(null)}>✕ Clear search</button>
        </div>
      )}
      <EmbedPrompt reason="Search, the embedding map, labels and semantic duplicates read them." />
    </div>
  );
}

/**
 * How the hits were found: approximately through the ANN index (large projects whose index passed its recall
 * check; "search exactly" scans every row), or by an exact scan, with the index being built or checked when
 * that scan was slow, or, where the int8 copy's exact scan was timed within budget, why no ANN index is built.
 */
function SearchMethod() {
  const results = useStore((s) => s.results);
  if (!results?.search || !results.method) return null;
  const again = (exact: boolean) => void runSearch(results.search!, results.minScore, results.label, exact);
  if (results.method === 'index') {
    return (
      <span className="muted small" data-testid="search-method" title={`Nearest neighbours from the saved search index (HNSW): fast on large projects; measured to find ${results.indexRecall !== undefined ? `${Math.round(results.indexRecall * 100)}%` : 'most'} of the exact top 10`}>
        {' · approximate (ANN index) '}
        <button className="link" data-testid="search-exact" onClick={() => again(true)}>search exactly</button>
      </span>
    );
  }
  return (
    <span className="muted small" data-testid="search-method">
      {' · exact'}
      {results.indexJobId !== undefined && !results.exact && ' (preparing the search index for faster searches)'}
      {results.scanMs !== undefined && results.indexJobId === undefined && (
        <span data-testid="search-scan" title="Every search here is exact: a compact int8 copy of the embeddings is scanned and the best candidates scored again in full precision. It was timed on this machine within the interactive budget, so no approximate (HNSW) index is built.">
          {` · ${results.scanMs < 10 ? results.scanMs.toFixed(1) : Math.round(results.scanMs)} ms per search on this machine, no approximate index needed`}
        </span>
      )}
      {results.exact && <>{' '}<button className="link" data-testid="search-approximate" onClick={() => again(false)}>back to fast search</button></>}
    </span>
  );
}

/** The filters that make up the current view, each removable, and saving the whole view under a name. */
function ViewChips() {
  // Only the filters: the grid reports its scroll position to the store many times a second.
  const s = useStore(useShallow((st) => ({
    sources: st.sources, sourceFilter: st.sourceFilter, gridSelection: st.gridSelection, labelFilter: st.labelFilter, region: st.region, results: st.results,
    setGridSelection: st.setGridSelection, setLabelFilter: st.setLabelFilter, setRegion: st.setRegion,
  })));
  const source = s.sources.find((x) => x.id === s.sourceFilter);
  const chips: { key: string; text: string; clear(): void }[] = [];
  if (source) chips.push({ key: 'source', text: `source ${source.name}`, clear: () => { useStore.setState({ sourceFilter: null, cursor: 0 }); void useStore.getState().refresh(); } });
  if (s.gridSelection) chips.push({ key: 'rules', text: 'name' in s.gridSelection ? `selection ${s.gridSelection.name} (${s.gridSelection.show})` : `filter rules (${s.gridSelection.show})`, clear: () => s.setGridSelection(null) });
  if (s.labelFilter) chips.push({ key: 'label', text: `label ${s.labelFilter}`, clear: () => s.setLabelFilter(null) });
  if (s.region) chips.push({ key: 'region', text: s.region.label, clear: () => s.setRegion(null) });
  if (chips.length === 0 && !s.results) return null;
  return (
    <div className="view-chips" data-testid="view-chips">
      <span className="muted small">View:</span>
      {chips.map((c) => (
        <span key={c.key} className="chip" data-testid={`chip-${c.key}`}>
          {c.text}
          <button className="icon" aria-label={`remove ${c.text}`} onClick={c.clear}>✕</button>
        </span>
      ))}
      <span className="spacer" />
      <SaveViewButton />
    </div>
  );
}
