// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kernel trees the platform presets were read from (third-party snapshots of mainline releases;
 * each Makefile checked). Cited as `TREE:path:symbol` in the presets' comments.
 * - K419  nojick/test419@37381aa0246ce0dba6cda47bc1e9752a9923072b (4.19.0)
 * - K510  lemongad/linux-5.10.y@03d7bae82b540f50247853993d98c000c4388cdd (5.10.135)
 * - K517  dunli/linux-5.17@a5835cacde99c041fb7d17a65ce72ab6392befb6 (5.17-rc5)
 * - K519  yishangzhang/linux-5.19@4a8550523ce9de6602a52c26c161b4e7992ce34e (5.19.0)
 * - K515  zcjie1/linux-5.15.100@52bed7a9a5ad33126d996da80f4abb1132baeab1 (5.15.100)
 * - K64   lewisevans2007/linux-6.4@9862bdef2c0d4346b05f4f9b46a09e854b94d113 (6.4.6)
 * - K66   lxdklp/linux-6.6.y@5aa5a1b8c29ffbb5ffc002f8fb1b8ad7b703f47e (6.6.57)
 * - K613  ChenRuiwei/linux-6.13.7@4ebf2100a5818d1723d97b8e418c6432e6eb2182 (6.13.7)
 * - K618  gfunkmonk/linux-6.18.2@062668f4d006cf5f04ae3039b73ef7ecb4b62f49 (6.18.2)
 * - K619  AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645 (6.19.9; its own changes are scheduler-only)
 * K419, K510, K515, K519, K66, K613 and K619 were read for these presets (mtk_iommu_of_ids and the plat
 * data flags); the facts from K517 (MT8195/MT8186 absent), K64 (MT8188 absent) and K618 (MT6893 present)
 * come from the same project's DMA audit of those trees.
 */
export const K419 = "nojick/test419@37381aa0246ce0dba6cda47bc1e9752a9923072b";
export const K510 = "lemongad/linux-5.10.y@03d7bae82b540f50247853993d98c000c4388cdd";
export const K515 = "zcjie1/linux-5.15.100@52bed7a9a5ad33126d996da80f4abb1132baeab1";
export const K519 = "yishangzhang/linux-5.19@4a8550523ce9de6602a52c26c161b4e7992ce34e";
export const K613 = "ChenRuiwei/linux-6.13.7@4ebf2100a5818d1723d97b8e418c6432e6eb2182";
export const K66 = "lxdklp/linux-6.6.y@5aa5a1b8c29ffbb5ffc002f8fb1b8ad7b703f47e";
export const K619 = "AlfredoFerreira04/scheduler-linux-6.19.9-env@0d965aeb50b4562a5039c9ad24e11d4212b52645";
