// SPDX-License-Identifier: GPL-2.0-only
/**
 * The built-in scenario `repro` and `compare` run when given none. A module of its own so the CLI's help
 * text can name it without loading the scenarios and their schema.
 */
export const DEFAULT_SCENARIO = "mt8173-video-playback";
