import { describeOwner } from '../../../main/domain/owner';
import { useJobs } from '../api/queries';
import { useStore } from '../state/store';
import { ModelStatus } from './ModelStatus';
import { TaskModelsStatus } from './TaskModelsStatus';

/** Bottom line: engine connection, running jobs, platform and version. */
export function StatusBar() {
  const info = useStore((s) => s.info)!;
  const connected = useStore((s) => s.connected);
  // From the job.progress events (api/queries.ts): the line moves with every batch and ends when the job does.
  const running = useJobs().filter((j) => j.state === 'running');
  const cursor = useStore((s) => s.cursor);
  const count = useStore((s) => s.itemCount);
  return (
    <footer className="statusbar">
      <span className={connected ? 'ok' : 'bad'}>{connected ? '● engine connected' : '● engine disconnected — reconnecting'}</span>
      <span>{count > 0 ? `item ${(cursor + 1).toLocaleString()} of ${count.toLocaleString()}` : ''}</span>
      <span className={running.length ? 'status-job' : ''} data-testid="status-jobs">
        {running.length ? `${running[0].title}${running[0].total ? ` ${Math.floor((100 * running[0].done) / running[0].total)}%` : ''}${running.length > 1 ? ` (+${running.length - 1} more)` : ''}` : 'idle'}
      </span>
      {info.project?.owner && (
        <span className="bad" title="Another process writes this project; this window shows it read-only and takes it over when that process is done.">
          read-only: open in {describeOwner(info.project.owner)}
        </span>
      )}
      <span className="spacer" />
      <TaskModelsStatus />
      <ModelStatus />
      <span className="muted">{info.mode} mode · {info.platform} · Winnow {info.version}</span>
    </footer>
  );
}
