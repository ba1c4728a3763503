#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx is a runtime dependency, so `npx iommu-lab` needs no build.
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");
