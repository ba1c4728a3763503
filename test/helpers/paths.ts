// SPDX-License-Identifier: GPL-2.0-only
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The golden vectors: the committed copy (test/fixtures/README.md), or another folder for one run. */
export const VECTORS_DIR = process.env["IOMMU_LAB_VECTORS"] ?? resolve(REPO_ROOT, "test/fixtures/vectors");
export const CLI = resolve(REPO_ROOT, "bin/iommu-lab.js");
