import { generateTrace } from "./bench/replay.ts";
import { FtraceParser } from "./src/workload/ftrace.ts";
const t = generateTrace(300000);
const chunks: string[] = []; for (let i = 0; i < t.length; i += 1 << 20) chunks.push(t.slice(i, i + (1 << 20)));
function baseline(): number { let s = 0; for (const c of chunks) { let pos = 0; for (;;) { const nl = c.indexOf("\n", pos); if (nl < 0) break; for (let i = pos; i < nl; i++) s += c.charCodeAt(i); pos = nl + 1; } } return s; }
function parse(): number { const p = new FtraceParser(); let n = 0; for (const c of chunks) n += p.push(c).length; return n + p.end().length; }
for (let r = 0; r < 6; r++) {
  let t0 = performance.now(); baseline(); const b = performance.now() - t0;
  t0 = performance.now(); parse(); const p = performance.now() - t0;
  console.log(`baseline ${b.toFixed(0)} ms  parse ${p.toFixed(0)} ms  ratio ${(p / b).toFixed(2)}  parse rate ${(300000 / p * 1000 / 1e6).toFixed(2)} M/s`);
}
