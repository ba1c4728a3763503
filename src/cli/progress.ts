// SPDX-License-Identifier: GPL-2.0-only
/** A progress bar on stderr for multi-step commands, shown only on a terminal outside CI. */
import cliProgress from "cli-progress";

export function progressWanted(): boolean {
  return process.stderr.isTTY === true && process.env["CI"] === undefined;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;

  constructor(total: number, unit: string) {
    this.bar = progressWanted()
      ? new cliProgress.SingleBar(
          { format: `{bar} {value}/{total} ${unit}  {last}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, { last: "" });
  }

  tick(last: string): void {
    this.done++;
    this.bar?.update(this.done, { last });
  }

  stop(): void {
    this.bar?.stop();
  }
}
