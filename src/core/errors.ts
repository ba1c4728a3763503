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

  constructor(input: string, where: string, problem: string) {
    super(`${input}${where ? `: ${where}` : ""}: ${problem}`);
    this.input = input;
    this.where = where;
  }
}

/** The kernel's errno values the model returns (negated, as the kernel does). */
export const ENOMEM = 12;
export const EEXIST = 17;
export const EINVAL = 22;
export const ERANGE = 34;
export const EFAULT = 14;

export function errnoName(ret: number): string {
  switch (-ret) {
    case 0:
      return "0";
    case ENOMEM:
      return "-ENOMEM";
    case EEXIST:
      return "-EEXIST";
    case EINVAL:
      return "-EINVAL";
    case ERANGE:
      return "-ERANGE";
    case EFAULT:
      return "-EFAULT";
    default:
      return String(ret);
  }
}
