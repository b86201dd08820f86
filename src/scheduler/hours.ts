// Moved to src/domain/hours.ts (working hours are a rule, not a schedule); kept for src/scheduler/digest.ts until the merge.
export * from '../domain/hours.js';
