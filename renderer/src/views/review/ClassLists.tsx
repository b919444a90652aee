import { css } from './rle';
import { colorOfClass } from './class-color';
import { useReview } from './state';

/**
 * The review's classes as two lists, image-label classes and detection queries, each numbered (keys 1–9) in the order its
 * newest run was given them. The checkbox hides a class on the image; the name opens the per-class view (click again: all).
 */
export function ClassLists() {
  const classes = useReview((s) => s.classes);
  const hidden = useReview((s) => s.hidden);
  const classFilter = useReview((s) => s.classFilter);
  const show = (label: string | null) => {
    const r = useReview.getState();
    r.set({ classFilter: label, index: 0 });
    void r.load();
  };
  const list = (title: string, names: string[], testId: string) => names.length > 0 && (
    <>
      <h3>{title}</h3>
      <ul className="review-classes" data-testid={testId}>
        {names.map((l, i) => (
          <li key={l} className={classFilter === l ? 'active' : ''} data-class={l}>
            <input type="checkbox" aria-label={`show ${l}`} checked={!hidden.includes(l)} onChange={() => useReview.getState().toggle(l)} />
            <span className="swatch" style={{ background: css(colorOfClass(l, i)) }} data-testid="class-swatch" />
            {i < 9 ? <kbd>{i + 1}</kbd> : <span className="kbd-pad" />}
            <button className="link class-name" onClick={() => show(classFilter === l ? null : l)} title={classFilter === l ? 'Back to every class' : `Review only “${l}”`}>{l}</button>
          </li>
        ))}
      </ul>
    </>
  );
  return (
    <>
      {classFilter && (
        <div className="review-class-filter muted small" data-testid="class-filter">
          Only <b>{classFilter}</b> <button className="link" onClick={() => show(null)}>all classes</button>
        </div>
      )}
      {list('Label classes', classes.labels, 'label-classes')}
      {list('Detection queries', classes.queries, 'query-classes')}
    </>
  );
}
