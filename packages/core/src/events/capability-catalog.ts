/**
 * The bundled capability catalog v1 (`attribution.md` §1.7): numeric Livepeer capability ids →
 * display name and group, used as row metadata by the `network_capabilities` parsers. The
 * attribution selector never consults it.
 *
 * @module
 */

/**
 * Version label of the bundled catalog, stored in every `capability_catalog_version` column.
 *
 * @category Capabilities
 */
export const CAPABILITY_CATALOG_VERSION = "v1";

/**
 * Generation time of the bundled catalog (ISO-8601, UTC). Informational only.
 *
 * @category Capabilities
 */
export const CAPABILITY_CATALOG_GENERATED_AT = "2026-02-13T00:00:00Z";

/**
 * One entry of the capability catalog.
 *
 * @category Capabilities
 */
export interface CapabilityCatalogEntry {
  /** Numeric capability id as advertised by orchestrators (e.g. `35`). */
  readonly id: number;
  /** Display name (e.g. `"Live video to video"`). */
  readonly name: string;
  /** Capability group (`transcoding`, `storage`, `auth`, `deprecated`, `inference`, `live-video`). */
  readonly group: string;
}

/** Name and group reported for an id that is `null` or not in the catalog. */
const UNKNOWN = "unknown";

function entry(id: number, name: string, group: string): CapabilityCatalogEntry {
  return Object.freeze({ id, name, group });
}

/**
 * The catalog v1 entries, ids 0–36 in ascending order. Id 37 (`byoc`), seen in production
 * payloads, is deliberately absent and resolves to `"unknown"`.
 *
 * @category Capabilities
 */
export const CAPABILITY_CATALOG: readonly CapabilityCatalogEntry[] = Object.freeze([
  entry(0, "H.264", "transcoding"),
  entry(1, "MPEGTS", "transcoding"),
  entry(2, "MP4", "transcoding"),
  entry(3, "Fractional framerates", "transcoding"),
  entry(4, "Storage direct", "storage"),
  entry(5, "Storage S3", "storage"),
  entry(6, "Storage GCS", "storage"),
  entry(7, "H264 Baseline profile", "transcoding"),
  entry(8, "H264 Main profile", "transcoding"),
  entry(9, "H264 High profile", "transcoding"),
  entry(10, "H264 Constrained, Contained High profile", "transcoding"),
  entry(11, "GOP", "transcoding"),
  entry(12, "Auth token", "auth"),
  entry(13, "Scene classification", "deprecated"),
  entry(14, "MPEG7 signature", "transcoding"),
  entry(15, "HEVC decode", "transcoding"),
  entry(16, "HEVC encode", "transcoding"),
  entry(17, "VP8 decode", "transcoding"),
  entry(18, "VP9 decode", "transcoding"),
  entry(19, "VP8 encode", "transcoding"),
  entry(20, "VP9 encode", "transcoding"),
  entry(21, "H264 Decode YUV444 8-bit", "transcoding"),
  entry(22, "H264 Decode YUV422 8-bit", "transcoding"),
  entry(23, "H264 Decode YUV444 10-bit", "transcoding"),
  entry(24, "H264 Decode YUV422 10-bit", "transcoding"),
  entry(25, "H264 Decode YUV420 10-bit", "transcoding"),
  entry(26, "Segment slicing", "transcoding"),
  entry(27, "Text to image", "inference"),
  entry(28, "Image to image", "inference"),
  entry(29, "Image to video", "inference"),
  entry(30, "Upscale", "inference"),
  entry(31, "Audio to text", "inference"),
  entry(32, "Segment anything 2", "inference"),
  entry(33, "Llm", "inference"),
  entry(34, "Image to text", "inference"),
  entry(35, "Live video to video", "live-video"),
  entry(36, "Text to speech", "inference"),
]);

const BY_ID: ReadonlyMap<number, CapabilityCatalogEntry> = new Map(
  CAPABILITY_CATALOG.map((e) => [e.id, e]),
);

/**
 * A capability id resolved against the catalog: the stored id plus its metadata.
 *
 * @category Capabilities
 */
export interface ResolvedCapability {
  /** The id to store: the input id, or `-1` when the input was `null`. */
  readonly id: number;
  /** Catalog name, or `"unknown"` when the id is `null` or not in the catalog. */
  readonly name: string;
  /** Catalog group, or `"unknown"` when the id is `null` or not in the catalog. */
  readonly group: string;
  /** Catalog version used for the lookup ({@link CAPABILITY_CATALOG_VERSION}). */
  readonly catalogVersion: string;
}

/**
 * Resolves a capability id (`attribution.md` §1.7): `null` → `(-1, "unknown", "unknown")`; an id
 * not in the catalog → `(id, "unknown", "unknown")`; otherwise the catalog entry. The catalog
 * version is always {@link CAPABILITY_CATALOG_VERSION}.
 *
 * @category Capabilities
 * @example
 * lookupCapability(35) // { id: 35, name: "Live video to video", group: "live-video", catalogVersion: "v1" }
 * lookupCapability(37) // { id: 37, name: "unknown", group: "unknown", catalogVersion: "v1" }
 * lookupCapability(null) // { id: -1, name: "unknown", group: "unknown", catalogVersion: "v1" }
 */
export function lookupCapability(id: number | null): ResolvedCapability {
  if (id === null) {
    return { id: -1, name: UNKNOWN, group: UNKNOWN, catalogVersion: CAPABILITY_CATALOG_VERSION };
  }
  const known = BY_ID.get(id);
  return {
    id,
    name: known?.name ?? UNKNOWN,
    group: known?.group ?? UNKNOWN,
    catalogVersion: CAPABILITY_CATALOG_VERSION,
  };
}
