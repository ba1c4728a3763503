// SPDX-License-Identifier: GPL-2.0-only
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The golden vectors: `shared/` sits beside the checkout, locally and in CI. */
export const VECTORS_DIR = process.env["IOMMU_LAB_VECTORS"] ?? resolve(REPO_ROOT, "../shared/vectors");
export const CLI = resolve(REPO_ROOT, "bin/iommu-lab.js");
