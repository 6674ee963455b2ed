import { createHash } from "node:crypto";

/**
 * Object ids (MS-FSCC §2.1.3) without a place to store them: derived from the share name and the
 * file id, so a file keeps its id for as long as it keeps its file id.
 */
function derive(...parts: string[]): Buffer {
  return createHash("sha256").update(parts.join("\0")).digest().subarray(0, 16);
}

/** The ObjectId of a share's volume (FileFsObjectIdInformation, BirthVolumeId). */
export function volumeObjectId(shareName: string): Buffer {
  return derive("dittofs share", shareName);
}

/** FILE_OBJECTID_BUFFER (MS-FSCC §2.1.3.1): ObjectId, BirthVolumeId, BirthObjectId, DomainId. */
export function objectIdBuffer(shareName: string, fileId: string): Buffer {
  const objectId = derive("dittofs file", shareName, fileId);
  return Buffer.concat([objectId, volumeObjectId(shareName), objectId, Buffer.alloc(16)]);
}
