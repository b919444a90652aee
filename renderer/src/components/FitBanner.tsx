import { useEffect, useState } from 'react';
import type { ModelFitT } from '../../../main/domain/model-fit';
import { api } from '../api/client';
import { useStore } from '../state/store';

/**
 * Above the grid when the project's images are outside what the model knows (the built-in model on real
 * photographs): labels, scores and boxes from it are not to be trusted, and a real model is one click away.
 */
export function FitBanner() {
  const dir = useStore((s) => s.info?.project?.dir);
  // Re-checked whenever an embedding run finishes.
  const embedded = useStore((s) => s.jobs.filter((j) => j.kind === 'embed' && j.state === 'done').length);
  const [fit, setFit] = useState<ModelFitT | null>(null);
  const [dismissed, setDismissed] = useState(false);

  useEffect(() => {
    let live = true;
    api.call('models.fit', {}).then((f) => live && setFit(f), () => live && setFit(null));
    return () => {
      live = false;
    };
  }, [dir, embedded]);

  if (!fit || fit.verdict !== 'outside' || dismissed) return null;
  return (
    <div className="fit-banner" role="alert" data-testid="fit-banner">
      <span>⚠ {fit.message}</span>
      <span className="spacer" />
      <button onClick={() => useStore.getState().setView('models')}>Choose a model</button>
      <button className="link" onClick={() => setDismissed(true)}>Dismiss</button>
    </div>
  );
}
