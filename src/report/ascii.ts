// SPDX-License-Identifier: GPL-2.0-only
/** Mail-ready text: ASCII only, no line over the width (a plain-text mail reply). */

/** Typographic characters as their ASCII spelling; anything else outside printable ASCII becomes "?". */
export function ascii(s: string): string {
  return s
    .replace(/[\u2013\u2014\u2500]/g, "-")
    .replace(/\u00d7/g, "x")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\u2265/g, ">=")
    .replace(/\u2264/g, "<=")
    .replace(/\u2192/g, "->")
    .replace(/\u2026/g, "...")
    .replace(/[^\x20-\x7e\n]/g, "?");
}

/**
 * Every line of `text` within `width`: a line that word wrap could not shorten (one long word, a path)
 * is cut hard, its continuation indented by two more spaces than the line.
 */
export function fitWidth(text: string, width: number): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const indent = " ".repeat(Math.min(width / 2, (/^ */.exec(line)?.[0].length ?? 0) + 2));
    let rest = line;
    let first = true;
    while (rest.length > 0) {
      const room = first ? width : width - indent.length;
      let cut = rest.length <= room ? rest.length : rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = room;
      out.push((first ? "" : indent) + rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
      first = false;
    }
  }
  return out.join("\n");
}
