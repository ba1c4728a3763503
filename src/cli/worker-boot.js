// SPDX-License-Identifier: GPL-2.0-only
// Worker threads start without the main thread's tsx loader: register it, then load the TypeScript entry.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
