// SPDX-License-Identifier: GPL-2.0-only
/** Streaming ftrace input: same events as a whole-text parse, bounded memory, located errors. */
import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { InputError } from "../../src/core/errors.ts";
import { describeTraceInput, openTrace, readAllTraceEvents } from "../../src/cli/trace-input.ts";
import type { TraceEvent, TraceRecord } from "../../src/workload/events.ts";
import { formatTraceEvent, parseFtrace } from "../../src/workload/ftrace.ts";
import { generateTrace, generateTraceEvents, generateTraceText } from "../../src/workload/trace-gen.ts";

const OFF = { skipMalformed: false, progress: false } as const;

async function rejectsInput(p: Promise<unknown>, input: string, re: RegExp): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.input, input);
    assert.match(err.message, re);
    assert.ok(!err.message.includes("\n"), "one line");
    return err;
  }
  assert.fail("expected an InputError");
}

describe("openTrace", () => {
  const tmp = mkdtempSync(join(tmpdir(), "iommu-lab-trace-input-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string | Buffer): string => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };

  it("streams a generated trace to the same events as a whole-text parse, for any read size", async () => {
    const opts = { events: 20_000, seed: 3, format: "range", layout: "cat" } as const;
    const text = generateTraceText(opts);
    const path = file("gen.txt", text);
    const whole = parseFtrace(text, { fileName: path });
    assert.deepEqual(
      whole.events,
      [...generateTraceEvents(opts)].map((g) => g.event),
    );
    for (const chunkBytes of [1 << 20, 65_536, 4099]) {
      const input = openTrace(path, { ...OFF, chunkBytes });
      const evs = await readAllTraceEvents(input);
      assert.deepEqual(evs, whole.events, `chunkBytes ${chunkBytes}`);
      assert.deepEqual(input.stats.ftrace, whole.stats);
      assert.equal(input.stats.bytesRead, Buffer.byteLength(text));
      assert.equal(input.stats.totalBytes, Buffer.byteLength(text));
      assert.equal(input.stats.events, 20_000);
    }
    const smallText = generateTraceText({ ...opts, events: 1000 });
    const small = file("small.txt", smallText);
    assert.deepEqual(await readAllTraceEvents(openTrace(small, { ...OFF, chunkBytes: 137 })), parseFtrace(smallText, { fileName: small }).events);
  });

  it("yields batches as it reads, not the whole file at the end (a forced bar on a non-terminal draws nothing)", async () => {
    const path = file("batches.txt", generateTraceText({ events: 20_000, seed: 4 }));
    let batches = 0;
    for await (const b of openTrace(path, { skipMalformed: false, progress: true, chunkBytes: 65_536 }).batches()) {
      assert.ok(b.length > 0 && b.length < 1000, `batch of ${b.length}`);
      batches++;
    }
    assert.ok(batches > 20, `${batches} batches`);
  });

  it("decodes a UTF-8 character split across two reads (comm names and error text)", async () => {
    const comms = ["vdec-ü", "€-worker", "😀😀😀", "kworker/u8:2"];
    const lines: string[] = ["# tracer: nop"];
    for (let i = 0; i < 40; i++) {
      const header = { comm: comms[i % 4] as string, pid: 10 + i, cpu: i % 4, ts: 1 + i / 1000, flags: "...1" };
      lines.push(formatTraceEvent({ type: "iommuMap", iova: 0x1000 * (i + 1), paddr: 0x4000_0000 + 0x1000 * i, size: 4096, line: 0 }, "old", header));
    }
    // A malformed line whose message quotes multi-byte text: a broken decoder would show U+FFFD there.
    lines.splice(20, 0, "   😀ü€-1 [001] ...1 2.000000: map: IOMMU: iova=0x0000000000100000 paddr=0x0000000040000000 size=4096 ü€😀 tail");
    const text = lines.join("\n") + "\n";
    const path = file("utf8.txt", text);
    const whole = parseFtrace(text, { fileName: path, skipMalformed: true });
    assert.equal(whole.stats.malformed, 1);
    assert.match(whole.stats.messages[0] ?? "", /line 21: .*"ü€😀 tail"/);
    for (let chunkBytes = 4; chunkBytes <= 24; chunkBytes++) {
      const input = openTrace(path, { skipMalformed: true, progress: false, chunkBytes });
      const evs = await readAllTraceEvents(input);
      assert.deepEqual(evs, whole.events, `chunkBytes ${chunkBytes}`);
      assert.deepEqual(input.stats.ftrace.messages, whole.stats.messages, `chunkBytes ${chunkBytes}`);
    }
  });

  it("a malformed line is fatal with its line number, or skipped and counted with skipMalformed", async () => {
    const good = generateTraceText({ events: 3000, seed: 8, header: false }).split("\n");
    good.splice(1233, 0, "  kworker/u8:2-97 [000] ...1 5.000000: unmap: IOMMU: iova=0x00000000ff000000 size=4096 unmapped_size=");
    const path = file("malformed.txt", good.join("\n"));
    const err = await rejectsInput(readAllTraceEvents(openTrace(path, { ...OFF, chunkBytes: 8192 })), path, /: line 1234: .*unmapped_size/);
    assert.equal(err.where, "line 1234");

    const input = openTrace(path, { skipMalformed: true, progress: false, chunkBytes: 8192 });
    const evs = await readAllTraceEvents(input);
    assert.equal(evs.length, 3000);
    assert.equal(input.stats.ftrace.malformed, 1);
    assert.match(input.stats.ftrace.messages[0] ?? "", /line 1234/);
    assert.match(describeTraceInput(input), /1 malformed line skipped \(first: .*line 1234/);
  });

  it("a missing file, a directory, an empty file or one without iommu events is one InputError naming the path", async () => {
    const missing = join(tmp, "no-such-trace.txt");
    assert.throws(
      () => openTrace(missing, OFF),
      (e: unknown) => e instanceof InputError && e.input === missing && /no such file/.test(e.message),
    );
    const dir = join(tmp, "a-dir");
    mkdirSync(dir);
    assert.throws(
      () => openTrace(dir, OFF),
      (e: unknown) => e instanceof InputError && e.input === dir && /directory/.test(e.message),
    );
    const empty = file("empty.txt", "");
    assert.throws(
      () => openTrace(empty, OFF),
      (e: unknown) => e instanceof InputError && e.input === empty && /empty/.test(e.message),
    );
    const other = file("other.txt", "# tracer: nop\n  bash-1 [000] .... 1.0: sched_switch: prev_comm=bash\n");
    await rejectsInput(readAllTraceEvents(openTrace(other, OFF)), other, /no iommu:map or iommu:unmap events in 2 lines/);
    const gz = file("trace.txt.gz", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    await rejectsInput(readAllTraceEvents(openTrace(gz, OFF)), gz, /gzip/);
  });

  it("reads gzip by its magic bytes (file, stdin, any name) and a FIFO in one pass, to the same events", async () => {
    const text = generateTraceText({ events: 5000, seed: 5, format: "old", layout: "trace-cmd" });
    const plain = parseFtrace(text, { fileName: "x" }).events;
    const { gzipSync } = await import("node:zlib");
    const gz = file("noext", gzipSync(text));
    const a = openTrace(gz, { ...OFF, chunkBytes: 4099 });
    assert.deepEqual(await readAllTraceEvents(a), plain);
    assert.equal(a.stats.format, "ftrace text (gzip)");
    const z = gzipSync(text);
    const parts: Buffer[] = [];
    for (let i = 0; i < z.length; i += 1000) parts.push(z.subarray(i, i + 1000));
    assert.deepEqual(await readAllTraceEvents(openTrace("-", { ...OFF, stdin: Readable.from(parts) })), plain);
    const { execFileSync, spawn } = await import("node:child_process");
    const fifo = join(tmp, "t.fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `cat '${file("fifo-src.txt", text)}' > '${fifo}'`]);
    const f = openTrace(fifo, OFF);
    assert.equal(f.stats.totalBytes, null, "no size probed on a FIFO");
    assert.deepEqual(await readAllTraceEvents(f), plain);
    writer.kill();
    await rejectsInput(readAllTraceEvents(openTrace(file("cut.gz", gzipSync(text).subarray(0, 5000)), OFF)), join(tmp, "cut.gz"), /not a valid gzip stream/);
    async function* failing(): AsyncGenerator<Buffer> {
      yield z.subarray(0, 1000);
      throw Object.assign(new Error("boom"), { code: "EIO" });
    }
    await rejectsInput(readAllTraceEvents(openTrace("-", { ...OFF, stdin: failing() })), "stdin", /byte 1000: read failed \(EIO\)/);
  });

  it("reads stdin for '-', with chunks split inside UTF-8 characters", async () => {
    const text = "  😀-1 [000] ...1 1.000000: map: IOMMU: iova=0x0000000000001000 paddr=0x0000000040000000 size=4096\n".repeat(50);
    const bytes = Buffer.from(text);
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) parts.push(bytes.subarray(i, i + 7));
    const input = openTrace("-", { ...OFF, stdin: Readable.from(parts) });
    assert.equal(input.name, "stdin");
    const evs = await readAllTraceEvents(input);
    assert.deepEqual(evs, parseFtrace(text).events);
    assert.equal(input.stats.totalBytes, null);
    assert.equal(input.stats.bytesRead, bytes.length);
    await rejectsInput(readAllTraceEvents(openTrace("-", { ...OFF, stdin: Readable.from([]) })), "stdin", /empty/);
  });

  it("batches() runs once; breaking out early closes the file", async () => {
    const path = file("once.txt", generateTraceText({ events: 5000, seed: 2 }));
    const input = openTrace(path, { ...OFF, chunkBytes: 4096 });
    for await (const b of input.batches()) {
      assert.ok(b.length > 0);
      break;
    }
    assert.ok(input.stats.bytesRead < statSync(path).size);
    await assert.rejects(input.batches().next(), RangeError);
    const unused = openTrace(path, OFF);
    unused.close();
    unused.close();
  });

  it("streams a ~2,000,000-event trace (>150 MB) with heap growth far below the file size", async (t) => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // 250,000 generated events written 8 times: a 2,000,000-event file without paying the formatter 8 times.
    const part = [...generateTrace({ events: 250_000, seed: 21, header: false })].join("");
    const path = join(tmp, "big.txt");
    const fd = openSync(path, "w");
    try {
      for (let i = 0; i < 8; i++) writeSync(fd, part);
    } finally {
      closeSync(fd);
    }
    const size = statSync(path).size;
    assert.ok(size > 150e6, `file ${size} bytes`);
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let events = 0;
    let batches = 0;
    let last: TraceRecord | undefined;
    const input = openTrace(path, OFF);
    for await (const b of input.batches()) {
      events += b.length;
      last = b[b.length - 1];
      if (++batches % 16 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    rmSync(path);
    t.diagnostic(`file ${(size / 1e6).toFixed(0)} MB, ${events} events, retained heap growth ${(peak / (1 << 20)).toFixed(1)} MiB`);
    assert.equal(events, 2_000_000);
    assert.equal(last?.line, 2_000_000);
    assert.equal(input.stats.bytesRead, size);
    assert.ok(peak < 64 * (1 << 20), `retained heap grew by ${(peak / (1 << 20)).toFixed(1)} MiB while streaming ${(size / 1e6).toFixed(0)} MB`);
  });
});
