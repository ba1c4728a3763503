// SPDX-License-Identifier: GPL-2.0-only
/** Kernel messages of a run, deduplicated in order of first appearance, with how often each was logged. */
export class MessageLog {
  private readonly counts = new Map<string, number>();

  add(text: string): void {
    this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
  }

  count(match: (text: string) => boolean): number {
    let n = 0;
    for (const [t, c] of this.counts) if (match(t)) n += c;
    return n;
  }

  list(): { text: string; count: number }[] {
    return [...this.counts].map(([text, count]) => ({ text, count }));
  }
}
