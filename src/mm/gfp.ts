// SPDX-License-Identifier: GPL-2.0-only
/**
 * GFP flags as a typed set. Bit values are the model's own (the kernel's change between releases); the
 * composite masks follow include/linux/gfp_types.h. GFP_ATOMIC includes the 4.19-era __GFP_ATOMIC bit.
 */
declare const gfpBrand: unique symbol;
export type Gfp = number & { readonly [gfpBrand]: true };

const bit = (n: number): Gfp => (1 << n) as Gfp;

export const __GFP_DMA = bit(0);
export const __GFP_HIGHMEM = bit(1);
export const __GFP_DMA32 = bit(2);
export const __GFP_MOVABLE = bit(3);
export const __GFP_RECLAIMABLE = bit(4);
export const __GFP_HIGH = bit(5);
export const __GFP_IO = bit(6);
export const __GFP_FS = bit(7);
export const __GFP_ZERO = bit(8);
export const __GFP_ATOMIC = bit(9);
export const __GFP_DIRECT_RECLAIM = bit(10);
export const __GFP_KSWAPD_RECLAIM = bit(11);
export const __GFP_NOWARN = bit(12);
export const __GFP_RETRY_MAYFAIL = bit(13);
export const __GFP_NOFAIL = bit(14);
export const __GFP_NORETRY = bit(15);
export const __GFP_COMP = bit(16);
export const __GFP_NOMEMALLOC = bit(17);

export const __GFP_RECLAIM = (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM) as Gfp;
export const GFP_ATOMIC = (__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM) as Gfp;
export const GFP_KERNEL = (__GFP_RECLAIM | __GFP_IO | __GFP_FS) as Gfp;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
/** Zone bits a slab allocation must not carry: the kernel's "Unexpected gfp" (GFP_SLAB_BUG_MASK). */
export const GFP_SLAB_BUG_MASK = (__GFP_DMA32 | __GFP_HIGHMEM | ~((1 << 18) - 1)) as Gfp;

export const NO_GFP = 0 as Gfp;

/**
 * The slab allocator's check for GFP_SLAB_BUG_MASK bits (new_slab in 4.19, kmalloc_fix_flags from
 * v5.9): the bits are cleared and the allocation goes on, with this warning. Null when `g` is clean.
 * The kernel prints the masks with %#x too; the model's bit values differ, so only names here.
 */
export function fixSlabGfp(g: Gfp): { readonly fixed: Gfp; readonly warning: string } | null {
  if ((g & GFP_SLAB_BUG_MASK) === 0) return null;
  const invalid = (g & GFP_SLAB_BUG_MASK) as Gfp;
  const fixed = (g & ~GFP_SLAB_BUG_MASK) as Gfp;
  return { fixed, warning: `Unexpected gfp: ${gfpNames(invalid)}. Fixing up to gfp: ${gfpNames(fixed)}. Fix your code!` };
}

export function gfp(...flags: Gfp[]): Gfp {
  let g = 0;
  for (const f of flags) g |= f;
  return g as Gfp;
}

export function has(g: Gfp, flags: Gfp): boolean {
  return (g & flags) === flags;
}

export function without(g: Gfp, flags: Gfp): Gfp {
  return (g & ~flags) as Gfp;
}

/** May the allocation sleep (direct reclaim)? GFP_ATOMIC and GFP_NOWAIT may not. */
export function gfpAllowsBlocking(g: Gfp): boolean {
  return (g & __GFP_DIRECT_RECLAIM) !== 0;
}

const NAMED: readonly (readonly [string, Gfp])[] = [
  ["GFP_KERNEL", GFP_KERNEL],
  ["GFP_ATOMIC", GFP_ATOMIC],
  ["__GFP_DMA", __GFP_DMA],
  ["__GFP_HIGHMEM", __GFP_HIGHMEM],
  ["__GFP_DMA32", __GFP_DMA32],
  ["__GFP_MOVABLE", __GFP_MOVABLE],
  ["__GFP_RECLAIMABLE", __GFP_RECLAIMABLE],
  ["__GFP_HIGH", __GFP_HIGH],
  ["__GFP_IO", __GFP_IO],
  ["__GFP_FS", __GFP_FS],
  ["__GFP_ZERO", __GFP_ZERO],
  ["__GFP_ATOMIC", __GFP_ATOMIC],
  ["__GFP_DIRECT_RECLAIM", __GFP_DIRECT_RECLAIM],
  ["__GFP_KSWAPD_RECLAIM", __GFP_KSWAPD_RECLAIM],
  ["__GFP_NOWARN", __GFP_NOWARN],
  ["__GFP_RETRY_MAYFAIL", __GFP_RETRY_MAYFAIL],
  ["__GFP_NOFAIL", __GFP_NOFAIL],
  ["__GFP_NORETRY", __GFP_NORETRY],
  ["__GFP_COMP", __GFP_COMP],
  ["__GFP_NOMEMALLOC", __GFP_NOMEMALLOC],
];

/** "GFP_ATOMIC|__GFP_DMA|__GFP_ZERO": composites first, as the kernel's %pGg prints them. */
export function gfpNames(g: Gfp): string {
  let rest: number = g;
  const out: string[] = [];
  for (const [name, f] of NAMED) {
    if (f !== 0 && (rest & f) === f) {
      out.push(name);
      rest &= ~f;
    }
  }
  if (rest !== 0) out.push("0x" + (rest >>> 0).toString(16));
  return out.length === 0 ? "0" : out.join("|");
}
