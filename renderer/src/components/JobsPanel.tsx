import { useState } from 'react';
import type { JobT } from '../../../main/api/contract';
import { api } from '../api/client';
import { upsertJob, useJobs } from '../api/queries';
import { useStore } from '../state/store';

const OPEN_KEY = 'winnow.jobsPanel.open';

function eta(sec: number | null): string {
  if (sec === null) return '';
  if (sec < 60) return `${Math.ceil(sec)}s left`;
  return `${Math.floor(sec / 60)}m ${Math.round(sec % 60)}s left`;
}

const isActive = (j: JobT) => j.state === 'running' || j.state === 'queued';
const percent = (j: JobT) => (j.total ? Math.min(100, Math.floor((100 * j.done) / j.total)) : null);

function JobRow({ job }: { job: JobT }) {
  const frac = job.total ? Math.min(1, job.done / job.total) : job.state === 'done' ? 1 : 0;
  const act = (m: 'jobs.cancel' | 'jobs.resume') => api.call(m, { id: job.id }).then(upsertJob, useStore.getState().report);
  return (
    <div className={`job ${job.state}`} data-testid="job" data-state={job.state}>
      <span className="title" title={job.title}>{job.title}</span>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={job.total ?? 0} aria-valuenow={job.done}>
        <div style={{ width: `${frac * 100}%` }} />
      </div>
      <span className="job-meta muted small">
        {job.done.toLocaleString()}{job.total !== null && ` / ${job.total.toLocaleString()}`}
        {job.ratePerSec !== null && job.state === 'running' && ` · ${job.ratePerSec.toFixed(job.ratePerSec < 10 ? 1 : 0)}/s`}
        {job.state === 'running' && ` · ${eta(job.etaSec)}`}
      </span>
      <span className="state">{job.state}</span>
      {isActive(job) && <button className="link" onClick={() => void act('jobs.cancel')}>Cancel</button>}
      {(job.state === 'interrupted' || job.state === 'cancelled' || job.state === 'failed') && <button className="link" onClick={() => void act('jobs.resume')}>Resume</button>}
      {job.error && <span className="error small" title={job.error}>{job.error}</span>}
    </div>
  );
}

/** One line for the collapsed panel: what runs now (with progress), else the last job's outcome. */
export function jobsSummary(jobs: JobT[]): string {
  const active = jobs.filter(isActive);
  if (active.length) {
    const j = active[0];
    const p = percent(j);
    return `${j.title}${p !== null ? ` ${p}%` : ''}${active.length > 1 ? ` (+${active.length - 1} more)` : ''}`;
  }
  const failed = jobs.filter((j) => j.state === 'failed' || j.state === 'interrupted').length;
  const last = jobs[0];
  return `${last ? `last: ${last.title} ${last.state}` : 'no jobs'}${failed ? ` · ${failed} need attention` : ''}`;
}

/**
 * The project's jobs (newest first) under a one-line summary; click the line to collapse or expand
 * (remembered across reloads). Expanded, one compact line per running job and the last few finished ones.
 */
export function JobsPanel() {
  const jobs = useJobs();
  // Open (compact, a few lines high) until the curator collapses it; their choice is remembered.
  const [open, setOpen] = useState(() => localStorage.getItem(OPEN_KEY) !== '0');
  if (jobs.length === 0) return null;
  const active = jobs.filter((j) => isActive(j) || j.state === 'interrupted');
  const recent = jobs.filter((j) => !active.includes(j)).slice(0, 5);
  const toggle = () => {
    localStorage.setItem(OPEN_KEY, open ? '0' : '1');
    setOpen(!open);
  };
  const running = jobs.filter(isActive);
  return (
    <section className={`jobs-panel ${open ? 'open' : 'collapsed'}`} data-testid="jobs-panel" aria-label="Jobs">
      <button className="jobs-summary" data-testid="jobs-summary" aria-expanded={open} aria-label={open ? 'Collapse the jobs list' : 'Expand the jobs list'} title={jobsSummary(jobs)} onClick={toggle}>
        <span className="chevron" aria-hidden>{open ? '▾' : '▸'}</span>
        <b>Jobs</b>
        <span className={running.length ? 'running' : 'muted'}>{running.length ? `${running.length} running` : 'idle'}</span>
        <span className="summary-text">{jobsSummary(jobs)}</span>
        {running[0]?.total ? <span className="mini-bar"><span style={{ width: `${percent(running[0])}%` }} /></span> : null}
      </button>
      {open && <div className="jobs-list">{[...active, ...recent].map((j) => <JobRow key={j.id} job={j} />)}</div>}
    </section>
  );
}
