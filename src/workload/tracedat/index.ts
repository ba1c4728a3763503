// SPDX-License-Identifier: GPL-2.0-only
/** trace-cmd's trace.dat: a pure decoder (decompressors injected) and a writer for tests. */
export { isTraceDat, readTraceDat, TRACE_DAT_MAGIC, type Codecs, type Compression, type TraceDat, type TraceDatOptions } from "./reader.ts";
export { iommuFormatText, writeTraceDat, zstdStoredFrame, type DatItem, type DatRecord, type DatWriteOptions } from "./writer.ts";
export { parseEventFormat, type EventFormat, type FormatField } from "./format-text.ts";
