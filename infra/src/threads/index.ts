export { type JobThread, serveJobs, startJobThread } from "./job-thread.ts";
