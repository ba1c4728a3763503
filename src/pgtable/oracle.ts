// SPDX-License-Identifier: GPL-2.0-only
/**
 * The golden-vector format `v7s-oracle/1`: parse and validate a document (oracle/document.ts), run every
 * case through the engine (oracle/run.ts), check the results against the expectations (oracle/check.ts).
 * Pure: the CLI reads the file and prints.
 */
export * from "./oracle/document.ts";
export * from "./oracle/run.ts";
export * from "./oracle/check.ts";
