// SPDX-License-Identifier: GPL-2.0-only
/** The v7s descriptor bit legend for the HTML report, taken from the engine's own field table. */
import { FIELDS, MTK_FIELDS, type DescriptorType, type PteField } from "../pgtable/format.ts";

/** A row of a bit legend: one field of a descriptor format. */
export interface LegendField {
  readonly name: string;
  /** Inclusive bit range, high first. */
  readonly hi: number;
  readonly lo: number;
  readonly meaning: string;
}

export interface LegendFormat {
  readonly name: string;
  readonly fields: readonly LegendField[];
}

const TITLES: Readonly<Record<DescriptorType, string>> = {
  "l1-table": "L1 table descriptor (points to a 1 KiB L2 table)",
  "l1-section": "L1 section (1 MiB)",
  "l1-supersection": "L1 supersection (16 MiB)",
  "l2-small": "L2 small page (4 KiB)",
  "l2-large": "L2 large page (64 KiB)",
};

function toLegend(name: string, fields: readonly PteField[]): LegendFormat {
  return { name, fields: fields.map((f) => ({ name: f.name, hi: f.lsb + f.width - 1, lo: f.lsb, meaning: f.meaning })) };
}

export function v7sLegend(): LegendFormat[] {
  const types = Object.keys(TITLES) as DescriptorType[];
  return [
    ...types.map((t) => toLegend(TITLES[t], FIELDS[t])),
    toLegend("MediaTek PA extension bits (MTK_EXT; they overlay AP/XN bits, so MTK_EXT needs NO_PERMS)", MTK_FIELDS),
  ];
}
