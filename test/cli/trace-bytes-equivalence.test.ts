// SPDX-License-Identifier: GPL-2.0-only
/**
 * The byte-level fast path (src/workload/ftrace-bytes.ts, FtraceParser.pushLines, trace-input's
 * pushChunk) against the string parser it replaced (test/reference/*-v1.ts, copies of the code before
 * it): random mixes of valid and mutated map/unmap lines in both layouts and both payload formats,
 * comments, blanks, lost-event markers, fault and other lines, CRLF, non-ASCII and invalid UTF-8, a last
 * line with or without its newline, cut into reads at random byte offsets. Events (with their key
 * order), every counter, every malformed-line message, the error thrown and the quality report must be
 * the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { openTrace, readAllTraceEvents } from "../../src/cli/trace-input.ts";
import { openTrace as openTraceV1, readAllTraceEvents as readAllV1 } from "../reference/trace-input-v1.ts";

const hex16 = (v: number, digits: number): string => v.toString(16).padStart(digits, "0");

const commChar = fc.constantFrom(..."abcXYZ019/_-:. []map:uné中\t".split(""), "map:", "unmap:", "1: ", "]", "[1]");
const comm = fc.array(commChar, { minLength: 1, maxLength: 8 }).map((a) => a.join(""));
const value = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64 - 1),
);
const digitsFor = fc.oneof(fc.constant(16), fc.integer({ min: 1, max: 18 }));
const timestamp = fc.oneof(
  fc.integer({ min: 0, max: 99_999_999_999 }).map((us) => (us / 1e6).toFixed(6)),
  fc.constantFrom("1", "0.5", ".5", "5.", "1.2.3", "..", "1234567890123456.5", "12345678901234.1", "0"),
  // 16 digits: past what decimalAt builds exactly, so Number() of the text decides.
  fc
    .bigInt({ min: 10n ** 15n, max: 10n ** 16n - 1n })
    .chain((d) => fc.integer({ min: 1, max: 15 }).map((k) => `${String(d).slice(0, k)}.${String(d).slice(k)}`)),
);

interface Parts {
  unmap: boolean;
  range: boolean;
  iova: number;
  paddr: number;
  size: number;
  unmapped: number;
  iovaDigits: number;
  paddrDigits: number;
  zeros: string;
}

const payloadParts: fc.Arbitrary<Parts> = fc.record({
  unmap: fc.boolean(),
  range: fc.boolean(),
  iova: value,
  paddr: value,
  size: fc.oneof(fc.integer({ min: 0, max: 1 << 24 }), value),
  unmapped: fc.oneof(fc.integer({ min: 0, max: 1 << 24 }), value),
  iovaDigits: digitsFor,
  paddrDigits: digitsFor,
  zeros: fc.constantFrom("", "", "0", "0000000000000000000", "00000000000000000000"),
});

function payload(p: Parts, wrongEnd: boolean): string {
  const iova = `iova=0x${hex16(p.iova, p.iovaDigits)}`;
  const range = p.range ? ` - 0x${hex16(wrongEnd ? p.iova + p.size + 1 : p.iova + p.size, 16)}` : "";
  return p.unmap
    ? `IOMMU: ${iova}${range} size=${p.zeros}${p.size} unmapped_size=${p.unmapped}`
    : `IOMMU: ${iova}${range} paddr=0x${hex16(p.paddr, p.paddrDigits)} size=${p.zeros}${p.size}`;
}

const eventLine = fc
  .record({
    layout: fc.constantFrom("cat", "cat-noflags", "trace-cmd", "trace-cmd-prefixed", "bare"),
    comm,
    pid: fc.integer({ min: 0, max: 99999 }),
    // Mostly CPUs no other line has, so that one taken or missed shows in stats.cpus.
    cpu: fc.oneof(
      fc
        .oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 9_999_999 }))
        .map((n) => String(n).padStart(3, "0")),
      fc.constantFrom("", "x", "1x", "x1", " 1", "12345", "123456"),
    ),
    ts: timestamp,
    // The flags column: its width decides whether the CPU is near enough the timestamp to be taken.
    flags: fc.array(fc.constantFrom(..."d.1Nnhs é]".split("")), { maxLength: 14 }).map((a) => a.join("")),
    parts: payloadParts,
    wrongEnd: fc.boolean(),
    pad: fc.constantFrom("", " ", "  ", "\t"),
    tail: fc.constantFrom("", "", " ", "\t", " x", " é中"),
  })
  .map((l) => {
    const name = l.parts.unmap ? "unmap" : "map";
    const body = payload(l.parts, l.wrongEnd) + l.tail;
    const head = `${l.pad}${l.comm.padStart(16)}-${l.pid} [${l.cpu}]`;
    switch (l.layout) {
      case "cat":
        return `${head} ${l.flags} ${l.ts.padStart(12)}: ${name}: ${body}`;
      case "cat-noflags":
        return `${head} ${l.ts}: ${name}: ${body}`;
      case "trace-cmd":
        return `${head} ${l.ts}: ${name}: ${" ".repeat(20 - name.length)}${body}`;
      case "trace-cmd-prefixed":
        return `${head} ${l.ts}: iommu:${name}:   ${body}`;
      default:
        return `${l.pad}${name}: ${body}`;
    }
  });

const otherLine = fc.oneof(
  fc.constantFrom(
    "# tracer: nop",
    "#",
    "#           TASK-PID     CPU#  ||||   TIMESTAMP  FUNCTION",
    "",
    "   ",
    "\t",
    "CPU:3 [LOST 120 EVENTS]",
    "CPU:0 [LOST EVENTS]",
    "CPU:12 [4 EVENTS DROPPED]",
    "CPU:1 [EVENTS DROPPED]",
    "CPU:1 [EVENTS DROPPED] x",
    "CPU:x [LOST 3 EVENTS]",
    "  vdec-1234  [001] d..1. 10.500000: io_page_fault: IOMMU:mtk-iommu 14018000.larb iova=0x0000000010000abc flags=0x0001",
    " x-1 [000] 1.0: io_page_fault: IOMMU:mtk dev iova=zz flags=0x0",
    "  kworker-1 [000] ..s1 5.000001: sched_switch: prev_comm=map: next=unmap:",
    "  kworker-1 [000] ..s1 5.000001: iommu_map: IOMMU: iova=0x1 paddr=0x2 size=3",
    "map:",
    "unmap:",
    "map: IOMMU:",
    "map:IOMMU: iova=0x1 paddr=0x2 size=3",
  ),
  fc.string({ maxLength: 30 }),
);

/** A line as bytes: an event line, maybe with one byte changed, inserted or removed; or another line. */
const lineBytes = fc.oneof(
  { weight: 6, arbitrary: eventLine.map((s) => Buffer.from(s)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        eventLine,
        fc.nat(),
        fc.constantFrom("del", "ins", "set"),
        fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10),
      )
      .map(([s, at, op, byte]) => {
        const b = [...Buffer.from(s)];
        const i = at % (b.length + 1);
        if (op === "del") b.splice(i, 1);
        else if (op === "ins") b.splice(i, 0, byte);
        else if (i < b.length) b[i] = byte;
        return Buffer.from(b);
      }),
  },
  { weight: 2, arbitrary: otherLine.map((s) => Buffer.from(s)) },
);

const eol = fc.constantFrom("\n", "\n", "\n", "\r\n");

const traceCase = fc.record({
  lines: fc.array(fc.tuple(lineBytes, eol), { minLength: 1, maxLength: 40 }),
  lastNewline: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  skipMalformed: fc.boolean(),
  faults: fc.boolean(),
  maxMessages: fc.integer({ min: 0, max: 6 }),
});

function bytesOf(c: { readonly lines: readonly (readonly [Buffer, string])[]; readonly lastNewline: boolean }): Buffer {
  const parts: Buffer[] = [];
  c.lines.forEach(([line, eol], k) => {
    parts.push(line);
    if (k < c.lines.length - 1 || c.lastNewline) parts.push(Buffer.from(eol));
  });
  return Buffer.concat(parts);
}

function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(from, c)));
    from = c;
  }
  return out;
}

async function* feed(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

interface Outcome {
  records: string;
  error: string | null;
  stats: unknown;
  quality: unknown;
}

async function readWith(
  open: typeof openTrace | typeof openTraceV1,
  readAll: typeof readAllTraceEvents | typeof readAllV1,
  chunks: Buffer[],
  c: { skipMalformed: boolean; faults: boolean; maxMessages: number },
): Promise<Outcome> {
  const input = open("-", {
    stdin: feed(chunks),
    skipMalformed: c.skipMalformed,
    faults: c.faults,
    maxMessages: c.maxMessages,
    progress: false,
    name: "t.txt",
  });
  let records = "";
  let error: string | null = null;
  try {
    // Key order too: the events are built whole, in one shape per kind.
    records = JSON.stringify(await readAll(input as never));
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  const { elapsedMs: _t, ...stats } = input.stats;
  return { records, error, stats, quality: error === null ? input.quality(null) : null };
}

describe("byte-level trace parsing is the string parser's output", () => {
  it("on random traces cut at random byte offsets (events, stats, messages, errors, quality)", async () => {
    await fc.assert(
      fc.asyncProperty(traceCase, async (c) => {
        const chunks = chunksOf(bytesOf(c), c.cuts);
        const now = await readWith(openTrace, readAllTraceEvents, chunks, c);
        const then = await readWith(openTraceV1, readAllV1, chunks, c);
        assert.deepEqual(now, then);
      }),
      { numRuns: 1000 },
    );
  });

  it("on random event lines only, every field and header read (skipping, with timestamps)", async () => {
    const eventsCase = fc.record({
      lines: fc.array(
        fc.tuple(
          eventLine.map((l) => Buffer.from(l)),
          eol,
        ),
        { minLength: 1, maxLength: 40 },
      ),
      lastNewline: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 3 }),
      skipMalformed: fc.constant(true),
      faults: fc.boolean(),
      maxMessages: fc.constant(100),
    });
    await fc.assert(
      fc.asyncProperty(eventsCase, async (c) => {
        const chunks = chunksOf(bytesOf(c), c.cuts);
        assert.deepEqual(await readWith(openTrace, readAllTraceEvents, chunks, c), await readWith(openTraceV1, readAllV1, chunks, c));
      }),
      { numRuns: 1000 },
    );
  });

  it("on generated trace text with its lines split at every byte of a read", async () => {
    const text = Buffer.from(
      [
        "# tracer: nop",
        "  kworker/u8:2-97      [003] ...1   688.606116: map: IOMMU: iova=0x00000000ffffc000 paddr=0x00000000bd71c000 size=16384",
        "  kworker/u8:2-97      [003] ...1   688.606117: unmap: IOMMU: iova=0x00000000ffffc000 - 0x0000000100000000 size=16384 unmapped_size=16384",
        "       vdec-12   [001]   9.000001: iommu:map:   IOMMU: iova=0x0000000010000000 - 0x0000000010001000 paddr=0x0000000040000000 size=4096",
        "  cämera-7 [002] d..1. 1.5: map: IOMMU: iova=0x10 paddr=0x20 size=4096",
        "CPU:1 [LOST 7 EVENTS]",
        "map: IOMMU: iova=0x1 paddr=0x2 size=4096",
        // Quoted in its message: a character cut between two reads must come out whole.
        "  a-1 [000] 2.0: map: IOMMU: iova=0x1 paddr=0x2 size=4096 中é\u{1F600}",
        "",
      ].join("\r\n"),
    );
    for (let cut = 0; cut <= text.length; cut++) {
      for (const skipMalformed of [false, true]) {
        const chunks = [text.subarray(0, cut), text.subarray(cut)];
        const opts = { skipMalformed, faults: true, maxMessages: 5 };
        assert.deepEqual(await readWith(openTrace, readAllTraceEvents, chunks, opts), await readWith(openTraceV1, readAllV1, chunks, opts), `cut at ${cut}`);
      }
    }
  });
});
