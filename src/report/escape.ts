// SPDX-License-Identifier: GPL-2.0-only
/** HTML text and attribute escaping for the report (every string from a run is untrusted text). */

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
