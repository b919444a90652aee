export { Job, JobState } from '../domain/job';
