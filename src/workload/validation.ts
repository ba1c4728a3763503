// SPDX-License-Identifier: GPL-2.0-only
/** Turns zod issues into InputErrors that name the field path and the rule, in the project's words. */
import type { z } from "zod";
import { InputError } from "../core/errors.ts";

type Issue = z.core.$ZodIssue;
export type PathItem = PropertyKey;

/** `devices[1].buffers[0].bytes`; empty for the root. */
export function formatPath(path: readonly PathItem[]): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else if (typeof k === "string" && /^[A-Za-z_$][\w$]*$/.test(k)) out += out === "" ? k : `.${k}`;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PathItem[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k as string];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return Number.isFinite(v) ? `the number ${v}` : String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "object") return "an object";
  return typeof v;
}

const EXPECTED: Readonly<Record<string, string>> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  tuple: "an array",
};

/** One issue → [where, problem]. */
export function describeIssue(issue: Issue, input: unknown): [string, string] {
  const path = issue.path as readonly PathItem[];
  const where = formatPath(path);
  // zod's own messages start like this; anything else was written for the field in the schema.
  if (issue.code !== "unrecognized_keys" && !/^(Invalid|Too (small|big))/.test(issue.message)) return [where, issue.message];
  switch (issue.code) {
    case "invalid_type": {
      const actual = valueAt(input, path);
      if (actual === undefined) return [where, "is required"];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [where, `must be ${expected}, not ${describeValue(actual)}`];
    }
    case "too_small": {
      const min = String(issue.minimum);
      if (issue.origin === "array") return [where, `must have at least ${min} item${min === "1" ? "" : "s"}`];
      if (issue.origin === "string") return [where, min === "1" ? "must not be empty" : `must have at least ${min} characters`];
      return [where, `must be ${issue.inclusive ? "at least" : "greater than"} ${min}`];
    }
    case "too_big": {
      const max = String(issue.maximum);
      if (issue.origin === "array") return [where, `must have at most ${max} items`];
      if (issue.origin === "string") return [where, `must have at most ${max} characters`];
      return [where, `must be ${issue.inclusive ? "at most" : "less than"} ${max}`];
    }
    case "not_multiple_of":
      return [where, `must be a multiple of ${String(issue.divisor)}`];
    case "invalid_value":
      return [where, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`];
    case "invalid_union": {
      const opts = (issue as { options?: unknown[] }).options;
      if (Array.isArray(opts)) return [where, `must be one of ${opts.map((v) => JSON.stringify(v)).join(", ")}`];
      return [where, "does not match any allowed form"];
    }
    case "unrecognized_keys": {
      const key = issue.keys[0] ?? "";
      return [
        formatPath([...path, key]),
        `is not a known field${
          issue.keys.length > 1
            ? ` (nor ${issue.keys
                .slice(1)
                .map((k) => `"${k}"`)
                .join(", ")})`
            : ""
        }`,
      ];
    }
    case "invalid_format":
      return [where, `must match the ${issue.format} format`];
    default:
      return [where, issue.message];
  }
}

/** Throws the first issue as an InputError (noting how many more there were). */
export function throwIssues(fileName: string, issues: readonly Issue[], input: unknown, prefix: readonly PathItem[] = []): never {
  const first = issues[0];
  if (first === undefined) throw new InputError(fileName, "", "invalid");
  const [where, problem] = describeIssue({ ...first, path: [...prefix, ...first.path] } as Issue, input);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  throw new InputError(fileName, where, problem + more);
}

/**
 * Offset of the first JSON syntax error in `text` (text.length when it ends too early), for a "line L
 * column C" location: Node 20's JSON.parse messages do not always give one.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c < 32) fail();
      if (c === 92) {
        i++;
        const e = text[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++)
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) {
              i += k;
              fail();
            }
          i += 4;
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) fail();
      }
      i++;
    }
    i++;
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail();
    else i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail();
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (at) {
    if (typeof at === "number") return Math.min(at, text.length);
    throw at;
  }
  return text.length;
}
