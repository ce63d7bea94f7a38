// What is kept of the inbox (retention): read at start and whenever Settings
// changes it, so the inbox can say when older messages are being deleted.

import { api, type Retention } from './api';

const count = new Intl.NumberFormat('en-US');

/** `604800` seconds as `7 days`, `5400` as `90 minutes`: the largest whole unit. */
export function ageText(secs: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ] as const) {
    if (secs % size === 0) {
      const n = secs / size;
      return `${count.format(n)} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${count.format(secs)} second${secs === 1 ? '' : 's'}`;
}

class RetentionState {
  view = $state<Retention | null>(null);

  /** One line for the inbox while retention is on; null while every message is kept. */
  get summary(): string | null {
    const v = this.view;
    if (!v || (v.max_messages === null && v.max_age_secs === null)) return null;
    const newest = v.max_messages === null ? null : `the newest ${count.format(v.max_messages)} message${v.max_messages === 1 ? '' : 's'}`;
    const age = v.max_age_secs === null ? null : ageText(v.max_age_secs);
    const kept = newest && age ? `${newest}, none older than ${age}` : newest ?? `messages from the last ${age}`;
    return `Keeping ${kept}: older ones are deleted.`;
  }

  async refresh() {
    try {
      this.view = await api.retention();
    } catch {
      // The inbox already says when the server is lost; the line waits for the next read.
    }
  }
}

export const retention = new RetentionState();
