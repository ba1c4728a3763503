// SPDX-License-Identifier: GPL-2.0-only
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InputError } from "../../src/core/errors.ts";
import type { TraceEvent } from "../../src/workload/events.ts";
import { decimalAt, FtraceParser, formatTraceEvent, formatTracePayload, parseFtrace, parseTraceLine } from "../../src/workload/ftrace.ts";
import type { TraceLineHeader, TracepointFormat } from "../../src/workload/ftrace.ts";

const MAP = { type: "iommuMap", iova: 0xff7ff000, paddr: 0x40123000, size: 4096 } as const;
const UNMAP = { type: "iommuUnmap", iova: 0xff7ff000, size: 4096, unmappedSize: 4096 } as const;

// Payloads as TP_printk writes them (docs/kernel-facts.md#tracepoints).
const PAYLOAD = {
  old: {
    map: "IOMMU: iova=0x00000000ff7ff000 paddr=0x0000000040123000 size=4096",
    unmap: "IOMMU: iova=0x00000000ff7ff000 size=4096 unmapped_size=4096",
  },
  range: {
    map: "IOMMU: iova=0x00000000ff7ff000 - 0x00000000ff800000 paddr=0x0000000040123000 size=4096",
    unmap: "IOMMU: iova=0x00000000ff7ff000 - 0x00000000ff800000 size=4096 unmapped_size=4096",
  },
} as const;

// Line prefixes up to the event name, one per layout.
const LAYOUTS: Record<string, (name: string) => string> = {
  "cat trace, 4.19 flags": (n) => `  mtk-vcodec-dec-1234  [001] ...1   123.456789: ${n}: `,
  "cat trace, 5-char flags": (n) => `     kworker/u8:2-88      [003] d..1.   102.345678: ${n}: `,
  "cat trace, no flags column": (n) => `          vdec_ipi-301   [000]    77.000001: ${n}: `,
  "trace-cmd report": (n) => `     kworker/u8:2-88    [000]   102.345678: ${`${n}:`.padEnd(20)} `,
  "trace-cmd report, iommu:map naming": (n) => `     kworker/u8:2-88    [000]   102.345678: iommu:${n}: `,
  "bare event": (n) => `${n}: `,
};

function strip(ev: TraceEvent): Omit<TraceEvent, "line"> {
  const { line: _line, ...rest } = ev;
  return rest;
}

describe("ftrace line parser", () => {
  for (const [layout, prefix] of Object.entries(LAYOUTS)) {
    for (const format of ["old", "range"] as const) {
      it(`parses map and unmap in the ${format} format, ${layout} layout`, () => {
        const text = `${prefix("map")}${PAYLOAD[format].map}\n${prefix("unmap")}${PAYLOAD[format].unmap}\n`;
        const { events, stats } = parseFtrace(text);
        assert.deepEqual(events.map(strip), [MAP, UNMAP]);
        assert.deepEqual(
          events.map((e) => e.line),
          [1, 2],
        );
        assert.equal(format === "old" ? stats.oldFormat : stats.rangeFormat, 2);
      });
    }
  }

  it("skips and counts comments, blank lines, other events and lost-event markers", () => {
    const text = [
      "# tracer: nop",
      "#",
      "#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION",
      "",
      "   ",
      "  mtk-iommu-0    [000] d.h1    50.100000: io_page_fault: IOMMU:mtk-iommu 14018000.larb iova=0x00000000fff00000 flags=0x0000",
      "  kworker/0:0-5  [000] ...1    50.200000: workqueue_execute_start: work struct 000000001234abcd: function mtk_vcodec_dec_work",
      "  chrome-77      [002] d..2    50.300000: sched_switch: prev_comm=unmap: prev_pid=77 ==> next_comm=map: next_pid=0",
      "  unmap:er-44    [001] ...1    50.400000: map: " + PAYLOAD.old.map,
      "CPU:1 [LOST 42 EVENTS]",
      "  kworker/1:1-9  [001] ...1    50.500000: add_device_to_group: IOMMU: groupID=0 device=14001000.ovl",
    ].join("\n");
    const { events, stats } = parseFtrace(text);
    assert.deepEqual(events.map(strip), [MAP]);
    assert.equal(events[0]?.line, 9);
    assert.deepEqual(
      { lines: stats.lines, comments: stats.comments, blank: stats.blank, other: stats.otherLines, lost: stats.lostEventMarkers, lostEvents: stats.lostEvents },
      { lines: 11, comments: 3, blank: 2, other: 4, lost: 1, lostEvents: 42 },
    );
  });

  it("accepts CRLF line ends, tabs and upper-case hex", () => {
    const text = `  a-1 [000] ....  1.000000:\tmap:\tIOMMU: iova=0x00000000FF7FF000 paddr=0x0000000040123000 size=4096\r\n`;
    assert.deepEqual(parseFtrace(text).events.map(strip), [MAP]);
  });

  it("parseTraceLine gives null for other lines and names the line number it was given", () => {
    assert.equal(parseTraceLine("  kworker/0:0-5  [000] ...1    50.2: sched_wakeup: comm=map: pid=1"), null);
    assert.equal(parseTraceLine("# map: IOMMU: nothing"), null);
    assert.throws(() => parseTraceLine("unmap: IOMMU: iova=0x1000 size=4096", "x.trace", 77), {
      message: "x.trace: line 77: unmap event without unmapped_size=",
    });
  });

  it("reads addresses above 4 GiB (34-bit IOVA, 35-bit PA) exactly", () => {
    const ev = parseTraceLine("map: IOMMU: iova=0x00000003fff00000 paddr=0x000000013ff00000 size=1048576");
    assert.deepEqual(ev && strip(ev), { type: "iommuMap", iova: 0x3_fff0_0000, paddr: 0x1_3ff0_0000, size: 0x100000 });
  });

  const MALFORMED: [string, string][] = [
    ["map: IOMMU: iova=0x00000000ff7ff000 paddr=0x0000000040123000", "map event without size="],
    ["map: IOMMU: iova=0x00000000ff7ff000 size=4096", "map event without paddr=0x"],
    ["unmap: IOMMU: iova=0x00000000ff7ff000 size=4096", "unmap event without unmapped_size="],
    ["map: IOMMU: iova=0xzz paddr=0x0 size=1", "map event: iova is not a hex number"],
    ["map: IOMMU: iova=0x1 paddr=0x2 size=abc", "size= is not a decimal number"],
    ["map: iova=0x1 paddr=0x2 size=4096", 'map event without "IOMMU:" after the event name'],
    ["map: IOMMU: iova=0x1000 - 0x3000 paddr=0x2000 size=4096", "range end 0x3000 is not iova + size (0x2000)"],
    ["map: IOMMU: iova=0x1000 paddr=0x2000 size=4096 junk", 'unexpected text after size=: "junk"'],
    ["map: IOMMU: iova=0x00000000000000001 paddr=0x2000 size=4096", "map event: iova has more than 16 hex digits"],
    ["map: IOMMU: iova=0xffffffffffffffff paddr=0x2000 size=4096", "map event: iova 0xffffffffffffffff is above 2^53, beyond what the model represents"],
    ["  x-1 [000] ....  1.0: unmap:", 'unmap event without "IOMMU:" after the event name'],
  ];

  for (const [line, problem] of MALFORMED) {
    it(`rejects "${line.slice(0, 50)}…" with "${problem}"`, () => {
      const text = `# header\n${PAYLOAD.old.map.replace(/^/, "map: ")}\n\n${line}\n`;
      assert.throws(
        () => parseFtrace(text, { fileName: "t.txt" }),
        (err: unknown) => err instanceof InputError && err.message === `t.txt: line 4: ${problem}` && err.where === "line 4",
      );
    });
  }

  it("in skip mode counts malformed lines, keeps the first messages and goes on", () => {
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) lines.push(`map: ${PAYLOAD.old.map}`, "map: IOMMU: iova=0x1000 paddr=0x2000");
    const { events, stats } = parseFtrace(lines.join("\n") + "\n", { fileName: "t", skipMalformed: true, maxMessages: 3 });
    assert.equal(events.length, 10);
    assert.equal(stats.malformed, 10);
    assert.deepEqual(stats.malformedLines, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    assert.deepEqual(stats.messages, ["t: line 2: map event without size=", "t: line 4: map event without size=", "t: line 6: map event without size="]);
  });

  it("reports a malformed line's number across chunk boundaries", () => {
    const good = `map: ${PAYLOAD.range.map}\n`;
    const text = good.repeat(3040) + "map: IOMMU: iova=0x1000 paddr=0x2000\n" + good;
    const p = new FtraceParser({ fileName: "big.trace" });
    assert.throws(
      () => {
        for (let i = 0; i < text.length; i += 997) p.push(text.slice(i, i + 997));
      },
      (err: unknown) => err instanceof InputError && err.where === "line 3041" && err.message === "big.trace: line 3041: map event without size=",
    );
  });
});

describe("FtraceParser streaming", () => {
  const corpus = (() => {
    const parts: string[] = ["# tracer: nop\n", "#\n"];
    let iova = 0xfff00000;
    for (let i = 0; i < 300; i++) {
      const fmt: TracepointFormat = i % 3 === 0 ? "range" : "old";
      const size = 4096 << (i % 5);
      const header: TraceLineHeader = {
        comm: i % 2 ? "mtk-vcodec-dec" : "kworker/u8:2",
        pid: 100 + i,
        cpu: i % 4,
        ts: 10 + i / 1000,
        flags: "d..1.",
        layout: i % 4 === 0 ? "trace-cmd" : "trace",
      };
      parts.push(formatTraceEvent({ type: "iommuMap", iova, paddr: 0x40000000 + i * 0x10000, size, line: 0 }, fmt, header) + "\n");
      if (i % 7 === 0) parts.push("  other-1 [000] ....  1.0: sched_wakeup: comm=foo pid=1\n", "\n");
      parts.push(formatTraceEvent({ type: "iommuUnmap", iova, size, unmappedSize: size, line: 0 }, fmt, header) + (i === 299 ? "" : "\n"));
      iova -= 0x100000;
    }
    return parts.join("");
  })();
  const whole = parseFtrace(corpus);

  it("gives the same events and stats for any chunking as for the whole text", () => {
    assert.equal(whole.events.length, 600);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const p = new FtraceParser();
        const events: TraceEvent[] = [];
        let pos = 0;
        let k = 0;
        while (pos < corpus.length) {
          const n = sizes[k++ % sizes.length] as number;
          events.push(...p.push(corpus.slice(pos, pos + n)));
          pos += n;
        }
        events.push(...p.end());
        assert.deepEqual(events, whole.events);
        assert.deepEqual(p.stats, whole.stats);
      }),
      { numRuns: 200 },
    );
  });

  it("splits between \\r and \\n and inside the event name", () => {
    const text = `map: ${PAYLOAD.old.map}\r\nunmap: ${PAYLOAD.old.unmap}\r\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new FtraceParser();
      const evs = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      assert.deepEqual(evs.map(strip), [MAP, UNMAP], `cut at ${cut}`);
    }
  });

  it("keeps memory bounded on an overlong line: it is counted and dropped", () => {
    const p = new FtraceParser();
    const junk = "x".repeat(50_000);
    p.push(junk);
    p.push(junk);
    const evs = p.push(`\nmap: ${PAYLOAD.old.map}\n`);
    assert.deepEqual(evs.map(strip), [MAP]);
    assert.equal(p.stats.otherLines, 1);
    assert.equal(evs[0]?.line, 2);
  });
});

const safeAddr = fc.integer({ min: 0, max: 2 ** 44 });
const traceEvent: fc.Arbitrary<TraceEvent> = fc.oneof(
  fc.record({
    type: fc.constant("iommuMap" as const),
    iova: safeAddr,
    paddr: fc.integer({ min: 0, max: 2 ** 35 }),
    size: fc.integer({ min: 0, max: 2 ** 32 }),
    line: fc.constant(0),
  }),
  fc.record({
    type: fc.constant("iommuUnmap" as const),
    iova: safeAddr,
    size: fc.integer({ min: 0, max: 2 ** 32 }),
    unmappedSize: fc.integer({ min: 0, max: 2 ** 32 }),
    line: fc.constant(0),
  }),
);
const header: fc.Arbitrary<TraceLineHeader> = fc.record({
  comm: fc.stringMatching(/^[A-Za-z0-9_/.:-]{1,15}$/),
  pid: fc.integer({ min: 0, max: 4_194_304 }),
  cpu: fc.integer({ min: 0, max: 255 }),
  ts: fc.integer({ min: 0, max: 10 ** 12 }).map((us) => us / 1e6),
  flags: fc.constantFrom("", "....", "d..1", "d..1.", "dNh2."),
  layout: fc.constantFrom("trace" as const, "trace-cmd" as const),
});

describe("formatTraceEvent round trip", () => {
  it("parses formatted events back to the same events, in both formats and layouts", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(traceEvent, header, fc.constantFrom("old" as const, "range" as const)), { maxLength: 20 }), (items) => {
        const text = items.map(([ev, h, f]) => formatTraceEvent(ev, f, h)).join("\n");
        const { events } = parseFtrace(text);
        assert.deepEqual(
          events.map(strip),
          items.map(([ev]) => strip(ev)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("writes the kernel's payload text", () => {
    assert.equal(formatTracePayload({ ...MAP, line: 0 }, "range"), PAYLOAD.range.map);
    assert.equal(formatTracePayload({ ...UNMAP, line: 0 }, "old"), PAYLOAD.old.unmap);
    assert.equal(
      formatTraceEvent({ ...MAP, line: 0 }, "range", { comm: "kworker/u8:2", pid: 88, cpu: 3, ts: 102.345678, flags: "d..1." }),
      `    kworker/u8:2-88      [003] d..1.   102.345678: map: ${PAYLOAD.range.map}`,
    );
  });
});

describe("ftrace parser fuzzing", () => {
  const seeds = [
    ...Object.values(LAYOUTS).flatMap((prefix) => [prefix("map") + PAYLOAD.old.map, prefix("unmap") + PAYLOAD.range.unmap, prefix("map") + PAYLOAD.range.map]),
    "CPU:1 [LOST 42 EVENTS]",
    "# tracer: nop",
  ];
  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom("0", "x", " ", ":", "-", "=", "f", "9", "\r", "map:", "\u00e9", "#", "\t", "[")), {
        maxLength: 4,
      }),
    )
    .map(([line, edits]) => {
      let s = line;
      for (const [at, op, ch] of edits) {
        const i = s.length === 0 ? 0 : at % s.length;
        if (op === 0) s = s.slice(0, i) + s.slice(i + 1);
        else if (op === 1) s = s.slice(0, i) + ch + s.slice(i);
        else if (op === 2) s = s.slice(0, i) + ch + s.slice(i + 1);
        else s = s.slice(0, i);
      }
      return s;
    });
  const input = fc.oneof({ weight: 9, arbitrary: mutated }, { weight: 1, arbitrary: fc.string({ maxLength: 120 }) });

  it("survives 100,000 malformed lines with only InputErrors, strict and skipping", () => {
    let errors = 0;
    fc.assert(
      fc.property(input, (line) => {
        try {
          parseFtrace(line + "\n", { fileName: "fuzz" });
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          assert.match(err.message, /^fuzz: line \d+: /);
          errors++;
        }
        const skipped = parseFtrace(line + "\n" + line + "\n", { skipMalformed: true });
        assert.ok(skipped.stats.lines === 2);
        // The same line cut off at the end of the input is never an error, only reported.
        const cut = parseFtrace(line + "\n" + line, { fileName: "fuzz", skipMalformed: true });
        assert.ok(cut.stats.truncatedLastLine === null || cut.stats.truncatedLastLine === 2);
      }),
      { numRuns: 100_000 },
    );
    assert.ok(errors > 1000, `only ${errors} inputs were malformed`);
  });
});

describe("agreement with the dma layer's tracepoint formatter (src/dma/trace.ts)", () => {
  it("parses formatFtraceLine output in both formats and writes the same payload text", async () => {
    const dma = await import("../../src/dma/trace.ts");
    const items = [
      {
        ws: { type: "iommuMap", iova: 0xff7ff000, paddr: 0x1_3ff0_0000, size: 4096, line: 0 } as const,
        dma: { kind: "map", iova: 0xff7ff000, paddr: 0x1_3ff0_0000, size: 4096 } as const,
      },
      {
        ws: { type: "iommuUnmap", iova: 0xff700000, size: 0x100000, unmappedSize: 0x80000, line: 0 } as const,
        dma: { kind: "unmap", iova: 0xff700000, size: 0x100000, unmapped: 0x80000 } as const,
      },
    ];
    for (const format of ["old", "range"] as const) {
      const text = items.map((it, i) => dma.formatFtraceLine(it.dma, format, i)).join("\n");
      assert.deepEqual(
        parseFtrace(text).events.map(strip),
        items.map((it) => strip(it.ws)),
      );
      for (const it of items) assert.equal(formatTracePayload(it.ws, format), dma.formatTracePayload(it.dma, format));
    }
  });
});

describe("decimalAt (the header timestamp)", () => {
  it("is Number() of the digits and dots it is given", () => {
    const text = fc.array(fc.constantFrom("0", "1", "2", "5", "7", "9", "."), { minLength: 1, maxLength: 22 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.string({ maxLength: 3 }), (t, pad) => {
        const s = `${pad}${t}: `;
        assert.ok(Object.is(decimalAt(s, pad.length, pad.length + t.length), Number(t)), t);
      }),
      { numRuns: 5000 },
    );
    for (const t of ["688.606116", "0.000001", "123456789.012345", "9007199254.740993", "5.", ".5", "."])
      assert.ok(Object.is(decimalAt(t, 0, t.length), Number(t)), t);
  });
});
