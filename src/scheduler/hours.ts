// The working clock lives in the domain (src/domain/hours.ts): the digest's rules read it as the sweep does.
export { addWorkingSpan, isoWeek, nextWorkingInstant } from '../domain/hours.js';
