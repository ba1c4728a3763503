// SPDX-License-Identifier: GPL-2.0-only
/**
 * A run broken down per IOMMU instance, per domain and per device, from a booted System at the end of
 * its run; and the domains' tables, counted once each however many domains share them.
 */
import type { IommuDomain } from "../dma/iommu-core.ts";
import type { System } from "./system.ts";
import type { Breakdown, DeviceResult, DomainResult, InstanceResult } from "./types.ts";

export interface DeviceStats {
  readonly maps: number;
  readonly mapErrors: number;
  readonly bufferFailures: number;
}

/** The system has more than one M4U or domain: its results carry a breakdown. */
export function isMulti(sys: System): boolean {
  return sys.instances.length > 1 || sys.domains.length > 1;
}

/** The domains that exist, in creation order. */
export function liveDomains(sys: System): IommuDomain[] {
  const out: IommuDomain[] = [];
  for (const d of sys.domains) if (d.state.ok) out.push(d.state.domain);
  return out;
}

/** The domains that allocated a table (one per io-pgtable), in creation order. */
export function tableOwners(sys: System): IommuDomain[] {
  const out: IommuDomain[] = [];
  for (const d of sys.domains) if (d.state.ok && d.sharesTableOf === null) out.push(d.state.domain);
  return out;
}

export function breakdown(sys: System, devices: ReadonlyMap<string, DeviceStats>): Breakdown {
  const zoneOf = (pa: number): string => sys.km.buddy.zoneOf(pa) ?? "";
  const instances: InstanceResult[] = sys.instances.map((i) => {
    const c = i.m4u.counters();
    return {
      name: i.name,
      compatible: i.compatible,
      ptBase: i.m4u.ptBaseRegister,
      l1Pa: i.m4u.l1TablePa,
      translations: c.translations,
      tlbMisses: c.tlbMisses,
      faults: Object.values(c.faults).reduce((a, b) => a + b, 0),
    };
  });
  const domains: DomainResult[] = sys.domains.map((d) => {
    const s = d.state;
    const t = s.ok ? s.domain.table : null;
    const c = s.ok ? s.domain.counters : null;
    return {
      id: d.id,
      instance: d.instance,
      instances: d.instances,
      region: d.region,
      apertureStart: d.aperture.start,
      apertureEnd: d.aperture.end,
      ias: d.ias,
      oas: d.oas,
      l1Bytes: d.l1Bytes,
      ttbrExt: d.ttbrExt,
      sharesTableOf: d.sharesTableOf,
      created: s.ok,
      refusal: s.ok ? null : s.refusal.text,
      l1Pa: t === null ? null : t.out.pgdPhys,
      l1Zone: t === null ? null : zoneOf(t.out.pgdPhys),
      l2Tables: t === null ? 0 : t.l2TablesLive(),
      mapCalls: c?.mapCalls ?? 0,
      mapFailures: c?.mapFailures ?? 0,
      unmapCalls: c?.unmapCalls ?? 0,
      bytesMapped: c?.bytesMapped ?? 0,
      masters: d.masters,
    };
  });
  const devs: DeviceResult[] = [...devices].map(([device, st]) => {
    const r = sys.route(device);
    return {
      device,
      domain: r.domain.id,
      instance: sys.instances.find((i) => i.m4u === r.m4u)?.name ?? r.domain.instance,
      routed: r.domain.masters.some((m) => m === device || m.endsWith(`:${device}`)),
      maps: st.maps,
      mapErrors: st.mapErrors,
      bufferFailures: st.bufferFailures,
    };
  });
  return { instances, domains, devices: devs };
}
