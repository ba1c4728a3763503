// SPDX-License-Identifier: GPL-2.0-only
/**
 * The tracefs event `format` text a trace.dat carries for every event it can hold
 * (/sys/kernel/tracing/events/<system>/<event>/format), e.g.
 *   name: map
 *   ID: 1234
 *   format:
 *   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *   	...
 *   	field:u64 iova;	offset:8;	size:8;	signed:0;
 *   print fmt: "IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu", REC->iova, REC->paddr, REC->size
 * Field offsets and sizes are read from it, never assumed: they differ between 32- and 64-bit kernels.
 */

export interface FormatField {
  readonly name: string;
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
}

export interface EventFormat {
  readonly system: string;
  readonly name: string;
  readonly id: number;
  readonly fields: readonly FormatField[];
  readonly printFmt: string;
}

/** null when the text is not an event format (no name or ID line). */
export function parseEventFormat(system: string, text: string): EventFormat | null {
  let name: string | null = null;
  let id: number | null = null;
  let printFmt = "";
  const fields: FormatField[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("name:")) name = line.slice(5).trim();
    else if (line.startsWith("ID:")) {
      const v = Number(line.slice(3).trim());
      if (Number.isSafeInteger(v) && v >= 0) id = v;
    } else if (line.startsWith("print fmt:")) printFmt = line.slice(10).trim();
    else if (line.startsWith("field:")) {
      const f = parseField(line);
      if (f !== null) fields.push(f);
    }
  }
  if (name === null || id === null) return null;
  return { system, name, id, fields, printFmt };
}

/** `field:<type> <name>[N];	offset:<o>;	size:<s>;	signed:<0|1>;` */
function parseField(line: string): FormatField | null {
  const parts = line.split(";").map((p) => p.trim());
  const decl = (parts[0] ?? "").slice(6).trim();
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?$/.exec(decl);
  if (m === null) return null;
  const num = (key: string): number | null => {
    const p = parts.find((x) => x.startsWith(`${key}:`));
    if (p === undefined) return null;
    const v = Number(p.slice(key.length + 1));
    return Number.isSafeInteger(v) && v >= 0 ? v : null;
  };
  const offset = num("offset");
  const size = num("size");
  if (offset === null || size === null) return null;
  return { name: m[2] as string, type: (m[1] ?? "").trim(), offset, size, signed: num("signed") === 1 };
}

/** The field named `name`, or undefined. */
export function field(fmt: EventFormat, name: string): FormatField | undefined {
  return fmt.fields.find((f) => f.name === name);
}
