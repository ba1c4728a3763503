// SPDX-License-Identifier: GPL-2.0-only
/** The report layer: a ComparisonReport and its analysis in, strings out (terminal text, JSON, SVG charts, one HTML page). */
export { renderAnswerHtml, renderAnswerText, verdictLabel } from "./answer.ts";
export { chartSpecs, renderCharts, renderSvg } from "./charts.ts";
export type { ChartId, ChartSpec, ChartSvg, VegaLiteSpec } from "./charts.ts";
export { renderHtml } from "./html.ts";
export type { HtmlOptions } from "./html.ts";
export type { LegendField, LegendFormat } from "./legend.ts";
export { ComparisonReportSchema, parseReportJson, REPORT_JSON_SCHEMA, toJson } from "./json.ts";
export { renderTerminal } from "./terminal.ts";
export type { TerminalOptions } from "./terminal.ts";
export { renderExplanation, type ExplainMoment } from "./explain-text.ts";
export { renderFaultsHtml, renderFaultsText } from "./faults.ts";
