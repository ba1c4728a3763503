// SPDX-License-Identifier: GPL-2.0-only
import { main } from "./main.ts";
process.exitCode = await main(process.argv.slice(2));
