// GET /slabs/: every shared memory zone's slab allocator, as NGINX Plus shows its zones:
//
//   {"one":{"pages":{"used":3,"free":237},
//           "slots":{"8":{"used":0,"free":0,"reqs":0,"fails":0},"16":{…},…}}}
//
// Pages are the zone's slab pages over all of its shards (zonesync splits a zone into
// shards, each with its own pages); a page is used when it holds chunks or is part of a
// large block. Slots are the size classes for blocks up to half a page, by chunk size in
// bytes: chunks used and free on the pages cut for that class, allocation requests and
// failures since the zone was created.

import type { ZoneStats } from 'native-free-shm';

export interface SlabSlot {
  readonly used: number;
  readonly free: number;
  readonly reqs: number;
  readonly fails: number;
}

export interface SlabZone {
  readonly pages: { readonly used: number; readonly free: number };
  readonly slots: Readonly<Record<string, SlabSlot>>;
}

export function slabZone(stats: ZoneStats): SlabZone {
  const slots = Object.create(null) as Record<string, SlabSlot>;
  for (const c of stats.classes) {
    slots[String(c.sizeBytes)] = { used: c.usedChunks, free: c.totalChunks - c.usedChunks, reqs: c.requests, fails: c.failures };
  }
  return { pages: { used: stats.pagesTotal - stats.pagesFree, free: stats.pagesFree }, slots };
}
