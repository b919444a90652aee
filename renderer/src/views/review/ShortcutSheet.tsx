export const SHORTCUTS: [string, string][] = [
  ['j / →', 'next item'], ['k / ←', 'previous item'], ['Home / End', 'first / last item'], ['g', 'go to a position (12) or an item id (#34)'], ['Tab / Shift+Tab', 'next / previous annotation'],
  ['a', 'accept'], ['r / x', 'reject'], ['1–9', 'relabel to class N of its list (label classes or detection queries)'], ['Alt + arrows', 'move box (Shift+Alt: 10×); a run of nudges is one undo step'],
  ['Shift + arrows', 'resize box (→/↓ grow, ←/↑ shrink)'], ['n', 'draw a new box (drag)'], ['b / e', 'mask brush: paint / erase (drag)'], ['[ / ]', 'smaller / larger brush'], ['s', 'refine the box into a mask (Segment Anything)'], ['Delete', 'delete annotation'],
  ['m', 'masks on / off'], ['Ctrl+Z', 'undo'], ['Ctrl+Shift+Z / Ctrl+Y', 'redo'], ['?', 'this sheet'], ['Esc', 'close / cancel drawing'],
];

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  return (
    <div className="review-sheet" role="dialog" aria-label="Keyboard shortcuts" onClick={onClose} data-testid="shortcut-sheet">
      <div className="review-sheet-body" onClick={(e) => e.stopPropagation()}>
        <h3>Keyboard shortcuts</h3>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, v]) => (
              <tr key={k}><td><kbd>{k}</kbd></td><td>{v}</td></tr>
            ))}
          </tbody>
        </table>
        <button className="secondary" onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
