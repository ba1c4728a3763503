// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where a table-memory strategy comes from, so that an answer recommends only what the run's kernel has:
 * - `merged`: in a released kernel. `eras` lists the modelled eras whose io-pgtable-arm-v7s.c text has
 *   it (read per era, not derived from the release string, so no version names are compared);
 * - `rfc`: posted to a list, never merged;
 * - `hypothetical`: never posted as code; `why` says what it is worth comparing for.
 */
import type { Era, EraName } from "../core/era.ts";

export type Provenance =
  | { readonly kind: "merged"; readonly release: string; readonly commit: string; readonly eras: readonly EraName[] }
  | { readonly kind: "rfc"; readonly posting: string; readonly date: string }
  | { readonly kind: "hypothetical"; readonly why: string };

/** Does the kernel of `era` have this strategy? Only merged ones exist in any era. */
export function existsIn(p: Provenance, era: Era): boolean {
  return p.kind === "merged" && p.eras.includes(era.name);
}

/** Null when the strategy exists in `era`, else one sentence saying why not (naming its release). */
export function absentReason(name: string, p: Provenance, era: Era): string | null {
  if (existsIn(p, era)) return null;
  switch (p.kind) {
    case "merged":
      return `${name} is not in Linux ${era.name}: it is ${p.commit}, in ${p.release}`;
    case "rfc":
      return `${name} was never merged: it is the RFC ${p.posting} (${p.date})`;
    case "hypothetical":
      return `${name} is hypothetical (never posted): ${p.why}`;
  }
}
