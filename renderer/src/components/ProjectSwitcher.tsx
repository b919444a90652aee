import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { useStore } from '../state/store';

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;
const parentOf = (p: string) => p.slice(0, Math.max(0, p.length - baseName(p).length - 1)) || '/';

/** Under the project name: open a recent project, or close this one and go back to the welcome screen. */
export function ProjectSwitcher() {
  const info = useStore((s) => s.info)!;
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  const current = info.project?.dir;
  const recent = info.recentProjects.filter((p) => p !== current);

  useEffect(() => {
    if (!open) return;
    (menu.current?.querySelector('button') as HTMLButtonElement | null)?.focus();
    const away = (e: MouseEvent) => { if (!menu.current?.parentElement?.contains(e.target as Node)) setOpen(false); };
    window.addEventListener('mousedown', away);
    return () => window.removeEventListener('mousedown', away);
  }, [open]);

  const act = async (call: () => Promise<unknown>) => {
    setOpen(false);
    try {
      await call();
      await useStore.getState().boot();
    } catch (err) {
      useStore.getState().report(err);
    }
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setOpen(false); return; }
    // Enter and Space press the focused item; the grid's own keys must not hear them.
    if (e.key === 'Enter' || e.key === ' ') { e.stopPropagation(); return; }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const buttons = [...(menu.current?.querySelectorAll('button') ?? [])] as HTMLButtonElement[];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    buttons[(at + (e.key === 'ArrowDown' ? 1 : -1) + buttons.length) % buttons.length]?.focus();
  };

  return (
    <div className="project-switcher">
      <button className="link small" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((v) => !v)} data-testid="project-switcher">Switch project ▾</button>
      {open && (
        <div className="menu" role="menu" ref={menu} onKeyDown={onKey} data-testid="project-menu">
          {recent.length > 0 && <h4>Recent</h4>}
          {recent.map((p) => (
            <button key={p} role="menuitem" title={p} data-testid="switch-to" data-dir={p} onClick={() => void act(() => api.call('project.open', { dir: p }))}>
              {baseName(p)} <span className="muted small">{parentOf(p)}</span>
            </button>
          ))}
          <h4>This project</h4>
          <button role="menuitem" data-testid="close-project" onClick={() => void act(() => api.call('project.close', {}))}>Close project (welcome screen)</button>
        </div>
      )}
    </div>
  );
}
