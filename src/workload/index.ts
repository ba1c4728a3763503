// SPDX-License-Identifier: GPL-2.0-only
/** The workload layer: event vocabulary, scenarios and device profiles, ftrace parsing and replay. */
export * from "./events.ts";
export { expandScenario, parseScenario, scenarioFrames, validateScenario } from "./scenario.ts";
export type { Scenario, ScenarioDevice, ScenarioPhase } from "./scenario.ts";
export { BUILTIN_SCENARIOS, BUILTIN_SCENARIO_SOURCES, builtinScenario, DEFAULT_SCENARIO } from "./builtin-scenarios.ts";
export { ACCESS_WINDOW, DEVICE_PROFILES, deviceProfile, nv12Bytes, PROFILE_NAMES } from "./profiles.ts";
export type { BufferSpec, ChurnParams, DeviceModel, DeviceProfile } from "./profiles.ts";
export { FtraceParser, formatTraceEvent, formatTracePayload, parseFtrace, parseTraceLine } from "./ftrace.ts";
export type { FtraceParseOptions, FtraceParseResult, FtraceStats, TraceLineHeader, TracepointFormat } from "./ftrace.ts";
export { NULL_SINK, TraceReplayer } from "./replay.ts";
export type { ReplayOptions, ReplaySink, ReplayStats } from "./replay.ts";
