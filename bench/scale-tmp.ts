import { jobScale } from './adapt/job-scale';
await jobScale(Number(process.argv[2] ?? 20000));
