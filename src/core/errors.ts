// SPDX-License-Identifier: GPL-2.0-only
/**
 * Bad input from a user (a file, a flag, a trace line) is an InputError: it names the input, the place
 * and the problem, and the CLI prints its message on one line and exits 2. Misuse of the library API by
 * code throws RangeError/TypeError instead; kernel failures (-ENOMEM, faults) are values, not throws.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  /** e.g. "vectors/latest/eexist.json", "trace.txt". */
  readonly input: string;
  /** e.g. "case 0 op 12 field pgsize", "line 3041". Empty when the whole input is at fault. */
  readonly where: string;
  /** e.g. "must be a power of two". */
  readonly problem: string;

  constructor(input: string, where: string, problem: string) {
    super(`${input}${where ? `: ${where}` : ""}: ${problem}`);
    this.input = input;
    this.where = where;
    this.problem = problem;
  }

  /** Plain data (what JSON.stringify and a worker's postMessage carry); `fromJSON` rebuilds the error. */
  toJSON(): InputErrorData {
    return { name: "InputError", input: this.input, where: this.where, problem: this.problem };
  }

  /** The InputError `data` describes, or null when it is not `toJSON` output (e.g. another error's data). */
  static fromJSON(data: unknown): InputError | null {
    if (typeof data !== "object" || data === null) return null;
    const d = data as Partial<Record<keyof InputErrorData, unknown>>;
    if (d.name !== "InputError" || typeof d.input !== "string" || typeof d.where !== "string" || typeof d.problem !== "string") return null;
    return new InputError(d.input, d.where, d.problem);
  }
}

export interface InputErrorData {
  readonly name: "InputError";
  readonly input: string;
  readonly where: string;
  readonly problem: string;
}

/** The kernel's errno values the model returns (negated, as the kernel does). */
export const ENOMEM = 12;
export const EEXIST = 17;
export const EINVAL = 22;
export const ERANGE = 34;
export const EFAULT = 14;
