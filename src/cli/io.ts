// SPDX-License-Identifier: GPL-2.0-only
/**
 * File I/O shared by the commands: JSON input with located errors, and the outputs of a run.
 *
 * Outputs are planned before the run starts (`checkOutputs` / `planOutputs`), so every mistake that can be
 * seen from the paths alone is an InputError before any work is done:
 * - a regular file or a new path is replaced atomically: the content goes to a temporary file beside it
 *   (beside the target when the path is a symlink, so the link stays a link), renamed over it at commit;
 * - a character device, FIFO or socket (`/dev/stdout`, `/dev/full`, a named pipe) and `-` (stdout) are
 *   written as a stream into the existing file: never unlinked, never replaced;
 * - an output that is one of the run's inputs (same realpath, or same device and inode) is refused, as is
 *   the same file named twice as an output;
 * - the outputs of one run are committed together: all temporaries are written first, streams are
 *   written, then every temporary is renamed into place; on any failure, and on SIGINT/SIGTERM, the
 *   temporaries are removed, so a run leaves either all its files or none of its new ones.
 */
import {
  closeSync,
  constants,
  accessSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";

/** Reads and parses a JSON file; a syntax error names the file and the position. A UTF-8 BOM is skipped. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(path, "", `cannot read (${describeWriteError(err)})`);
  }
  return parseJsonText(text, path);
}

/**
 * JSON text as users save it: a leading UTF-8 byte order mark (Windows editors write one) is dropped
 * rather than reported as "Unexpected token"; any other syntax error names the file.
 */
export function parseJsonText(text: string, name: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new InputError(name, "", `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** How an output is written. */
export type OutputKind = "stdout" | "stream" | "replace";

export interface PlannedOutput {
  /** As the user gave it. */
  readonly path: string;
  readonly kind: OutputKind;
  /** For "replace": the file that is replaced (the symlink's target for a symlink). */
  readonly target: string;
  /** A stream that is one of this process's open files (/dev/stderr, /dev/fd/N): written to the fd. */
  readonly fd?: number;
}

export interface OutputSpec {
  /** Files the run reads ("-" and undefined are skipped). */
  readonly inputs: readonly (string | undefined | null)[];
  /** Files the run writes; undefined or false: that output is off. */
  readonly outputs: readonly (string | undefined | false | null)[];
}

/** Classifies every output and refuses the impossible ones (InputError, exit 2), before any work. */
export function checkOutputs(spec: OutputSpec): PlannedOutput[] {
  const inputs = spec.inputs.filter((p): p is string => typeof p === "string" && p !== "-").map((p) => identify(p));
  const planned: PlannedOutput[] = [];
  const seen: { path: string; id: FileId }[] = [];
  for (const path of spec.outputs) {
    if (typeof path !== "string") continue;
    const out = classify(path);
    planned.push(out);
    if (out.kind === "stdout") {
      if (planned.some((p) => p !== out && p.kind === "stdout")) throw new InputError(path, "", "stdout is named as more than one output");
      continue;
    }
    const id = identify(out.kind === "replace" ? out.target : path);
    // A device written as a stream (a terminal given as both /dev/stdin and /dev/stdout) is no file to destroy.
    if (out.kind === "replace" || id.fifo) {
      for (const input of inputs) {
        if (sameFile(id, input)) throw new InputError(path, "", `is also an input of this run (${input.path}); refusing to overwrite it`);
      }
    }
    for (const prev of seen) {
      if (sameFile(id, prev.id)) throw new InputError(path, "", `is the same file as the output ${prev.path}; give each output its own path`);
    }
    seen.push({ path, id });
  }
  return planned;
}

/** The outputs of one run, staged and then committed together (see the file comment). */
export interface OutputWriter {
  readonly outputs: readonly PlannedOutput[];
  /** Stages `content` for `path` (one of the planned outputs): a temporary file now, or held for a stream. */
  write(path: string, content: string | Uint8Array): void;
  /**
   * Writes `chunks` for `path` as they come: into a temporary file, or for a stream straight into it
   * (a generated trace can be larger than memory). Returns the bytes written.
   */
  writeChunks(path: string, chunks: Iterable<string>): Promise<number>;
  /** Streams written, then every temporary renamed into place. A failure removes what is left. */
  commit(): Promise<void>;
  /** Removes every temporary; nothing of this writer reaches its outputs. Safe to call twice. */
  abort(): void;
}

/** Plans the outputs (see checkOutputs) and returns the writer that stages and commits them. */
export function planOutputs(spec: OutputSpec): OutputWriter {
  const outputs = checkOutputs(spec);
  const temps = new Map<string, { dir: string; file: string; target: string }>();
  const held = new Map<string, string | Uint8Array>();
  let done = false;

  const find = (path: string): PlannedOutput => {
    const o = outputs.find((p) => p.path === path);
    if (o === undefined) throw new RangeError(`OutputWriter: ${path} is not a planned output`);
    if (done) throw new RangeError(`OutputWriter: ${path} written after commit or abort`);
    return o;
  };

  const tempFor = (o: PlannedOutput): { dir: string; file: string; target: string } => {
    const old = temps.get(o.path);
    if (old !== undefined) return old;
    let dir: string;
    try {
      dir = mkdtempSync(join(dirname(o.target), `.${basename(o.target)}.`));
    } catch (err) {
      throw new InputError(o.path, "", `cannot write here (${describeWriteError(err)})`);
    }
    const t = { dir, file: join(dir, basename(o.target)), target: o.target };
    temps.set(o.path, t);
    liveTemps.add(dir);
    installCleanup();
    return t;
  };

  const abort = (): void => {
    done = true;
    for (const t of temps.values()) removeTemp(t.dir);
    temps.clear();
    held.clear();
  };

  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      abort();
      throw err;
    }
  };

  return {
    outputs,
    write(path, content) {
      const o = find(path);
      if (o.kind !== "replace") {
        held.set(path, content);
        return;
      }
      guard(() => {
        const t = tempFor(o);
        withFd(t.file, o.path, (fd) => writeAll(fd, o.path, content));
      });
    },
    async writeChunks(path, chunks) {
      const o = find(path);
      try {
        if (o.kind === "stdout") return await writeStdoutChunks(chunks);
        const file = o.kind === "stream" ? path : tempFor(o).file;
        const into = <T>(f: (fd: number) => T): T => (o.fd !== undefined ? f(o.fd) : withFd(file, o.path, f));
        return into((fd) => {
          let bytes = 0;
          let pending = "";
          for (const chunk of chunks) {
            pending += chunk;
            if (pending.length >= 1 << 20) {
              bytes += writeAll(fd, o.path, pending);
              pending = "";
            }
          }
          if (pending.length > 0) bytes += writeAll(fd, o.path, pending);
          return bytes;
        });
      } catch (err) {
        abort();
        throw err;
      }
    },
    async commit() {
      if (done) throw new RangeError("OutputWriter: commit after commit or abort");
      try {
        for (const o of outputs) {
          const content = held.get(o.path);
          if (content === undefined) continue;
          if (o.kind === "stdout") await writeStdout(content);
          else if (o.fd !== undefined) writeAll(o.fd, o.path, content);
          else withFd(o.path, o.path, (fd) => writeAll(fd, o.path, content));
        }
        for (const [path, t] of temps) {
          try {
            renameSync(t.file, t.target);
          } catch (err) {
            throw new InputError(path, "", `cannot replace ${t.target} (${describeWriteError(err)})`);
          }
        }
      } finally {
        abort();
      }
    },
    abort,
  };
}

/**
 * One file written as a run's only output (dump, a converted file): planned, staged, committed.
 * `inputs` are refused as the output as in planOutputs.
 */
export async function writeOutputFile(path: string, content: string | Uint8Array, inputs: readonly (string | undefined)[] = []): Promise<void> {
  const w = planOutputs({ inputs, outputs: [path] });
  w.write(path, content);
  await w.commit();
}

/**
 * One output written now, synchronously, by the same rules as planOutputs: a regular file or new path
 * replaced atomically (temporary beside the target), a device, FIFO or `-` written as a stream.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const o = checkOutputs({ inputs: [], outputs: [path] })[0] as PlannedOutput;
  if (o.kind === "stdout") {
    writeAll(1, path, content);
    return;
  }
  if (o.kind === "stream") {
    if (o.fd !== undefined) writeAll(o.fd, path, content);
    else withFd(path, path, (fd) => writeAll(fd, path, content));
    return;
  }
  let t: { dir: string; remove: () => void };
  try {
    t = trackedTempDir(`.${basename(o.target)}.`, dirname(o.target));
  } catch (err) {
    throw new InputError(path, "", `cannot write here (${describeWriteError(err)})`);
  }
  try {
    const file = join(t.dir, basename(o.target));
    withFd(file, path, (fd) => writeAll(fd, path, content));
    try {
      renameSync(file, o.target);
    } catch (err) {
      throw new InputError(path, "", `cannot replace ${o.target} (${describeWriteError(err)})`);
    }
  } finally {
    t.remove();
  }
}

/**
 * Fails early, before a long run, when `path` cannot be written: its directory is missing or not
 * writable, or the path is a directory.
 */
export function checkWritable(path: string): void {
  checkOutputs({ inputs: [], outputs: [path] });
}

// ---------------------------------------------------------------------------------------------------

interface FileId {
  readonly path: string;
  readonly real: string | null;
  readonly dev: number;
  readonly ino: number;
  readonly fifo: boolean;
}

function identify(path: string): FileId {
  let real: string | null = null;
  try {
    real = realpathSync(path);
  } catch {
    // A file not there yet: its folder's real path and its name, so two spellings of it still match.
    try {
      real = join(realpathSync(dirname(path)), basename(path));
    } catch {
      real = resolve(path);
    }
  }
  try {
    const st = statSync(path);
    return { path, real, dev: st.dev, ino: st.ino, fifo: st.isFIFO() };
  } catch {
    return { path, real, dev: -1, ino: -1, fifo: false };
  }
}

function sameFile(a: FileId, b: FileId): boolean {
  if (a.dev >= 0 && a.dev === b.dev && a.ino === b.ino) return true;
  return a.real !== null && a.real === b.real;
}

/** Where and how `path` is written; an InputError when it cannot be. */
function classify(path: string): PlannedOutput {
  if (path === "-") return { path, kind: "stdout", target: path };
  if (path === "") throw new InputError("(empty path)", "", "is not a file name");
  let lst: Stats | null = null;
  try {
    lst = lstatSync(path);
  } catch (err) {
    if (codeOf(err) !== "ENOENT") throw new InputError(path, "", `cannot write here (${describeWriteError(err)})`);
  }
  let target = path;
  let st: Stats | null = lst;
  if (lst?.isSymbolicLink() === true) {
    target = linkTarget(path);
    // A link into /proc/<pid>/fd (/dev/stdout, /dev/fd/N) names an open file of this process, which a
    // rename would never reach: it is written through the link, whatever it points to.
    if (target.startsWith("/proc/")) {
      const fd = /^\/proc\/(?:self|thread-self|\d+)\/fd\/(\d+)$/.exec(target);
      // stdout through the process's own stream (a socket or pipe cannot be opened again by path).
      if (fd !== null && fd[1] === "1") return { path, kind: "stdout", target: path };
      if (fd !== null) return { path, kind: "stream", target: path, fd: Number(fd[1]) };
      return { path, kind: "stream", target: path };
    }
    try {
      st = statSync(target);
    } catch (err) {
      if (codeOf(err) !== "ENOENT") throw new InputError(path, "", `cannot write here (${describeWriteError(err)})`);
      st = null;
    }
  }
  if (st !== null) {
    if (st.isDirectory()) throw new InputError(path, "", "is a directory");
    if (st.isCharacterDevice() || st.isFIFO() || st.isSocket() || st.isBlockDevice()) {
      if (st.isSocket()) throw new InputError(path, "", "is a socket; give a file, a FIFO or '-'");
      if (st.isBlockDevice()) throw new InputError(path, "", "is a block device; refusing to write a report onto it");
      return { path, kind: "stream", target: path };
    }
  }
  const dir = dirname(target);
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(path, "", `${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, "", `cannot write here (${describeWriteError(err)})`);
  }
  return { path, kind: "replace", target };
}

/** The file a symlink chain ends at (it may not exist yet: a dangling link names a new file). */
function linkTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    const to = readlinkSync(p);
    p = isAbsolute(to) ? to : resolve(dirname(p), to);
    if (p.startsWith("/proc/")) return p;
  }
  throw new InputError(path, "", "too many levels of symbolic links");
}

function withFd<T>(file: string, name: string, f: (fd: number) => T): T {
  let fd: number;
  try {
    // O_NOCTTY, and no O_CREAT/O_TRUNC games for streams: "w" on a FIFO or device opens it for writing.
    fd = openSync(file, "w");
  } catch (err) {
    throw new InputError(name, "", `cannot open for writing (${describeWriteError(err)})`);
  }
  try {
    return f(fd);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // A close error after every write succeeded carries no data loss for a device or temporary.
    }
  }
}

function writeAll(fd: number, name: string, content: string | Uint8Array): number {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (codeOf(err) === "EAGAIN") {
        waitWritable(fd);
        continue;
      }
      throw new InputError(name, "", `write failed: ${describeWriteError(err)}`);
    }
    off += n;
  }
  return buf.length;
}

/** A non-blocking fd that is full (a pipe whose reader is slow): wait a little, synchronously. */
function waitWritable(_fd: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}

async function writeStdout(content: string | Uint8Array): Promise<void> {
  await new Promise<void>((done, fail) => {
    process.stdout.write(content, (err) => (err ? fail(new InputError("-", "", `write failed: ${describeWriteError(err)}`)) : done()));
  });
}

/** With backpressure; a reader that goes away (`| head`) ends the output quietly. */
async function writeStdoutChunks(chunks: Iterable<string>): Promise<number> {
  const out = process.stdout;
  let closed = false;
  let bytes = 0;
  const onError = (): void => {
    closed = true;
  };
  out.on("error", onError);
  try {
    for (const chunk of chunks) {
      if (closed) break;
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) {
        await new Promise<void>((done) => {
          out.once("drain", done);
          out.once("error", done);
        });
      }
    }
  } finally {
    out.off("error", onError);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------------
// Temporaries left by a signal

const liveTemps = new Set<string>();
let cleanupInstalled = false;

/** A private temporary folder (os.tmpdir()) removed on exit and on SIGINT/SIGTERM, or by the returned function. */
export function trackedTempDir(prefix: string, base: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(base, prefix));
  liveTemps.add(dir);
  installCleanup();
  return { dir, remove: () => removeTemp(dir) };
}

function removeTemp(dir: string): void {
  liveTemps.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function removeAllTemps(): void {
  for (const dir of [...liveTemps]) removeTemp(dir);
}

/**
 * On SIGINT/SIGTERM the temporaries are removed and the signal is raised again with the default action,
 * so the shell still sees the process killed by it; on exit (an uncaught error) they are removed too.
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once("exit", removeAllTemps);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      removeAllTemps();
      for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeAllListeners(s);
      process.kill(process.pid, sig);
    };
    process.once(sig, handler);
  }
}

function codeOf(err: unknown): string {
  return err instanceof Error && "code" in err ? String((err as { code: unknown }).code) : "";
}

/** strerror's words for the codes a write meets, e.g. "No space left on device (ENOSPC)". */
export function describeWriteError(err: unknown): string {
  const code = codeOf(err);
  const words: Record<string, string> = {
    ENOSPC: "No space left on device",
    EACCES: "Permission denied",
    EPERM: "Operation not permitted",
    ENOENT: "No such file or directory",
    EISDIR: "Is a directory",
    ENOTDIR: "Not a directory",
    EROFS: "Read-only file system",
    EPIPE: "Broken pipe",
    EIO: "Input/output error",
    EDQUOT: "Disk quota exceeded",
    EFBIG: "File too large",
    ENXIO: "No such device or address",
    EXDEV: "Invalid cross-device link",
    ELOOP: "Too many levels of symbolic links",
    ENAMETOOLONG: "File name too long",
  };
  const w = Object.hasOwn(words, code) ? words[code] : undefined;
  if (w !== undefined) return `${w} (${code})`;
  if (code !== "") return code;
  return err instanceof Error ? err.message : String(err);
}
