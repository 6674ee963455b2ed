/**
 * Server-side copy (MS-SMB2 §3.3.5.15.5-6) with a raw SMB2 client: FSCTL_SRV_REQUEST_RESUME_KEY
 * names a source open, FSCTL_SRV_COPYCHUNK[_WRITE] copies chunks of it into the destination open
 * without the bytes crossing the wire; NFS reads the result. Hostile requests (forged or foreign
 * keys, too many or too large chunks, chunks past the source's end, missing access) get their
 * NTSTATUS and the server stays up without logging an internal error. smbtorture's smb2.ioctl
 * suite (e2e/smbtorture.test.ts) covers the Windows behaviour at length.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { DigestJson, NfsClient } from "./helpers/nfsclient.mjs";
import { useRawSmbServer } from "./helpers/smb-suite.js";
import {
  SMB2_CLOSE,
  SMB2_CREATE,
  SMB2_IOCTL,
  SMB2_LOCK,
  SMB2_WRITE,
  STATUS_ACCESS_DENIED,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  SmbRawClient,
  closeBody,
  createWithContextsBody,
  ioctlBody,
  lockBody,
  writeBody,
  type FileId,
  type Response,
} from "./helpers/smbraw.js";

const PASSWORD = "copy without the wire";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const HEADER = 64;
const KiB = 1024;
const MiB = 1024 * KiB;

const FSCTL_SRV_REQUEST_RESUME_KEY = 0x0014_0078;
const FSCTL_SRV_COPYCHUNK = 0x0014_40f2;
const FSCTL_SRV_COPYCHUNK_WRITE = 0x0014_80f2;
const STATUS_OBJECT_NAME_NOT_FOUND = 0xc000_0034;
const STATUS_INVALID_VIEW_SIZE = 0xc000_001f;
const STATUS_FILE_LOCK_CONFLICT = 0xc000_0054;

/** Access masks (MS-SMB2 §2.2.13.1.1). */
const FILE_READ_DATA = 0x01;
const FILE_WRITE_DATA = 0x02;
const FILE_EXECUTE = 0x20;
const FILE_READ_ATTRIBUTES = 0x80;
const READ_WRITE = 0x0012_019f;
const READ_ONLY = 0x0012_0089;
const WRITE_ONLY = 0x0012_0116;

interface Chunk {
  source: number;
  target: number;
  length: number;
}

/** SRV_COPYCHUNK_COPY (§2.2.31.1): the key, the count, and each chunk; `count` may lie. */
function copyInput(key: Buffer, chunks: readonly Chunk[], count = chunks.length): Buffer {
  const input = Buffer.alloc(32 + 24 * chunks.length);
  key.copy(input, 0);
  input.writeUInt32LE(count, 24);
  chunks.forEach((chunk, i) => {
    input.writeBigUInt64LE(BigInt(chunk.source), 32 + 24 * i);
    input.writeBigUInt64LE(BigInt(chunk.target), 40 + 24 * i);
    input.writeUInt32LE(chunk.length, 48 + 24 * i);
  });
  return input;
}

/** The output buffer of an IOCTL response (§2.2.32), empty when the server sent an error body. */
function ioctlOutput(response: Response): Buffer {
  const body = response.message.subarray(HEADER);
  if (body.readUInt16LE(0) !== 49) return Buffer.alloc(0);
  const offset = body.readUInt32LE(32);
  return Buffer.from(response.message.subarray(offset, offset + body.readUInt32LE(36)));
}

/** SRV_COPYCHUNK_RESPONSE (§2.2.32.1). */
function copied(response: Response): { chunksWritten: number; chunkBytesWritten: number; totalBytesWritten: number } {
  const output = ioctlOutput(response);
  expect(output.length, "SRV_COPYCHUNK_RESPONSE").toBe(12);
  return { chunksWritten: output.readUInt32LE(0), chunkBytesWritten: output.readUInt32LE(4), totalBytesWritten: output.readUInt32LE(8) };
}

describe("SMB server-side copy (FSCTL_SRV_COPYCHUNK)", () => {
  const suite = useRawSmbServer(
    [
      { name: "alice", password: PASSWORD, uid, gid },
      { name: "bob", password: PASSWORD, uid: 4242, gid: 4242 },
    ],
    [
      { name: "/export", root: { uid, gid, mode: 0o777 } },
      { name: "/other", root: { uid, gid, mode: 0o777 } },
    ],
  );
  let nfs: NfsClient;
  let otherNfs: NfsClient;
  const logon = (user = "alice", share = "export") => suite.logon(user, PASSWORD, share);
  const open = async (c: SmbRawClient, name: string, access = READ_WRITE): Promise<FileId> => {
    const response = await c.call(SMB2_CREATE, createWithContextsBody(name, [], { access }));
    expect(response.status, `CREATE ${name}`).toBe(STATUS_SUCCESS);
    return Buffer.from(response.message.subarray(HEADER + 64, HEADER + 80));
  };
  const resumeKey = async (c: SmbRawClient, file: FileId): Promise<Buffer> => {
    const response = await c.call(SMB2_IOCTL, ioctlBody(FSCTL_SRV_REQUEST_RESUME_KEY, file, Buffer.alloc(0)));
    expect(response.status, "SRV_REQUEST_RESUME_KEY").toBe(STATUS_SUCCESS);
    const output = ioctlOutput(response);
    expect(output.length).toBe(32);
    return output.subarray(0, 24);
  };
  const copy = (c: SmbRawClient, dest: FileId, input: Buffer, ctlCode = FSCTL_SRV_COPYCHUNK): Promise<Response> =>
    c.call(SMB2_IOCTL, ioctlBody(ctlCode, dest, input));
  const write = async (c: SmbRawClient, file: FileId, offset: number, data: Buffer): Promise<void> => {
    expect((await c.call(SMB2_WRITE, writeBody(file, BigInt(offset), data))).status).toBe(STATUS_SUCCESS);
  };
  /** A file of `size` random bytes written over SMB, open for read and write. */
  const sourceFile = async (c: SmbRawClient, name: string, size: number): Promise<{ file: FileId; data: Buffer }> => {
    const data = randomBytes(size);
    const file = await open(c, name);
    await write(c, file, 0, data);
    return { file, data };
  };

  beforeAll(async () => {
    nfs = await suite.server.client();
    otherNfs = await suite.server.client({ share: "/other" });
  });

  it("copies a 3 MiB file in chunks, out of order and over two requests; NFS reads the same bytes", async () => {
    const written = await nfs.json<DigestJson & { ino: number }>("write-pattern", "/big.bin", String(3 * MiB), "7");
    const smb = await logon();
    const source = await open(smb, "big.bin", READ_ONLY);
    const key = await resumeKey(smb, source);
    const dest = await open(smb, "big-copy.bin");
    const half = 512 * KiB;
    const chunks = Array.from({ length: 6 }, (_, i) => ({ source: i * half, target: i * half, length: half })).reverse();
    const first = await copy(smb, dest, copyInput(key, chunks.slice(0, 4)));
    expect(first.status).toBe(STATUS_SUCCESS);
    expect(copied(first)).toEqual({ chunksWritten: 4, chunkBytesWritten: 0, totalBytesWritten: 2 * MiB });
    const second = await copy(smb, dest, copyInput(key, chunks.slice(4)));
    expect(copied(second)).toEqual({ chunksWritten: 2, chunkBytesWritten: 0, totalBytesWritten: MiB });
    expect(await nfs.json<DigestJson>("read-sha256", "/big-copy.bin")).toEqual({ size: 3 * MiB, sha256: written.sha256 });
  });

  it("copies into another share of the server", async () => {
    const written = await nfs.json<DigestJson & { ino: number }>("write-pattern", "/across.bin", String(MiB + 5), "11");
    const smb = await logon();
    const source = await open(smb, "across.bin", READ_ONLY);
    const key = await resumeKey(smb, source);
    const other = await logon("alice", "other");
    const dest = await open(other, "arrived.bin");
    const response = await copy(other, dest, copyInput(key, [{ source: 0, target: 0, length: MiB }, { source: MiB, target: MiB, length: 5 }]));
    expect(copied(response)).toEqual({ chunksWritten: 2, chunkBytesWritten: 0, totalBytesWritten: MiB + 5 });
    expect(await otherNfs.json<DigestJson>("read-sha256", "/arrived.bin")).toEqual({ size: MiB + 5, sha256: written.sha256 });
  });

  it("copies within one file with overlapping ranges as if through a buffer, and fills a gap with zeros", async () => {
    const smb = await logon();
    const { file, data } = await sourceFile(smb, "self.bin", 8 * KiB);
    const key = await resumeKey(smb, file);
    const response = await copy(smb, file, copyInput(key, [{ source: 0, target: 2 * KiB, length: 4 * KiB }, { source: 0, target: 12 * KiB, length: 1 * KiB }]));
    expect(copied(response)).toEqual({ chunksWritten: 2, chunkBytesWritten: 0, totalBytesWritten: 5 * KiB });
    const expected = Buffer.alloc(13 * KiB);
    data.copy(expected, 0);
    data.copy(expected, 2 * KiB, 0, 4 * KiB);
    expected.copy(expected, 12 * KiB, 0, 1 * KiB);
    expect(await nfs.bytes("cat", "/self.bin")).toEqual(expected);
  });

  it("gives the same key for the same open and another for another open; a closed open's key names nothing", async () => {
    const smb = await logon();
    const { file } = await sourceFile(smb, "keys.bin", 100);
    const key = await resumeKey(smb, file);
    expect(await resumeKey(smb, file)).toEqual(key);
    const second = await open(smb, "keys.bin");
    expect(await resumeKey(smb, second)).not.toEqual(key);
    const dest = await open(smb, "keys-copy.bin");
    expect((await smb.call(SMB2_CLOSE, closeBody(file))).status).toBe(STATUS_SUCCESS);
    expect((await copy(smb, dest, copyInput(key, [{ source: 0, target: 0, length: 100 }]))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });

  it("refuses a forged key and another user's key with STATUS_OBJECT_NAME_NOT_FOUND", async () => {
    const alice = await logon();
    const { file } = await sourceFile(alice, "secret.bin", 4 * KiB);
    const key = await resumeKey(alice, file);
    const bob = await logon("bob");
    const dest = await open(bob, "stolen.bin");
    const forged = Buffer.from(key);
    forged.writeUInt8(forged.readUInt8(0) ^ 1, 0);
    expect((await copy(bob, dest, copyInput(forged, [{ source: 0, target: 0, length: 4 * KiB }]))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect((await copy(bob, dest, copyInput(key, [{ source: 0, target: 0, length: 4 * KiB }]))).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect(await nfs.bytes("cat", "/stolen.bin")).toHaveLength(0);
    // The same user's other session (another connection) may use it.
    const again = await logon();
    const mine = await open(again, "mine.bin");
    expect(copied(await copy(again, mine, copyInput(key, [{ source: 0, target: 0, length: 4 * KiB }])))).toEqual({ chunksWritten: 1, chunkBytesWritten: 0, totalBytesWritten: 4 * KiB });
  });

  it("answers a request over the limits with STATUS_INVALID_PARAMETER and the server's limits, writing nothing", async () => {
    const smb = await logon();
    const { file } = await sourceFile(smb, "limits.bin", 4 * KiB);
    const key = await resumeKey(smb, file);
    const dest = await open(smb, "limits-copy.bin");
    const limits = { chunksWritten: 256, chunkBytesWritten: MiB, totalBytesWritten: 16 * MiB };
    const tooMany = Array.from({ length: 257 }, (_, i) => ({ source: i, target: i, length: 1 }));
    const tooLarge = [{ source: 0, target: 0, length: MiB + 1 }];
    const tooMuch = Array.from({ length: 17 }, (_, i) => ({ source: i * MiB, target: i * MiB, length: MiB }));
    const empty = [{ source: 0, target: 0, length: 0 }];
    for (const chunks of [tooMany, tooLarge, tooMuch, empty]) {
      const response = await copy(smb, dest, copyInput(key, chunks));
      expect(response.status).toBe(STATUS_INVALID_PARAMETER);
      expect(copied(response)).toEqual(limits);
    }
    // A count the input does not hold, and an input too short for even the header.
    const lying = await copy(smb, dest, copyInput(key, [{ source: 0, target: 0, length: 10 }], 3));
    expect(lying.status).toBe(STATUS_INVALID_PARAMETER);
    expect((await copy(smb, dest, key)).status).toBe(STATUS_INVALID_PARAMETER);
    expect(await nfs.bytes("cat", "/limits-copy.bin")).toHaveLength(0);
  });

  it("stops at a chunk past the source's end with STATUS_INVALID_VIEW_SIZE, keeping the chunks before it", async () => {
    const smb = await logon();
    const { file, data } = await sourceFile(smb, "short.bin", 4 * KiB);
    const key = await resumeKey(smb, file);
    const dest = await open(smb, "short-copy.bin");
    const response = await copy(smb, dest, copyInput(key, [{ source: 0, target: 0, length: 2 * KiB }, { source: 3 * KiB, target: 2 * KiB, length: 2 * KiB }]));
    expect(response.status).toBe(STATUS_INVALID_VIEW_SIZE);
    expect(copied(response)).toEqual({ chunksWritten: 1, chunkBytesWritten: 0, totalBytesWritten: 2 * KiB });
    expect(await nfs.bytes("cat", "/short-copy.bin")).toEqual(data.subarray(0, 2 * KiB));
  });

  it("needs read access on the source, write access on the destination, and read too for SRV_COPYCHUNK", async () => {
    const smb = await logon();
    const { data } = await sourceFile(smb, "access.bin", KiB);
    const chunk = [{ source: 0, target: 0, length: KiB }];
    const writeOnlySource = await open(smb, "access.bin", WRITE_ONLY);
    const dest = await open(smb, "access-copy.bin");
    expect((await copy(smb, dest, copyInput(await resumeKey(smb, writeOnlySource), chunk))).status).toBe(STATUS_ACCESS_DENIED);
    const key = await resumeKey(smb, await open(smb, "access.bin", FILE_READ_DATA | FILE_READ_ATTRIBUTES));
    const readOnlyDest = await open(smb, "access-copy.bin", READ_ONLY);
    expect((await copy(smb, readOnlyDest, copyInput(key, chunk))).status).toBe(STATUS_ACCESS_DENIED);
    expect((await copy(smb, readOnlyDest, copyInput(key, chunk), FSCTL_SRV_COPYCHUNK_WRITE)).status).toBe(STATUS_ACCESS_DENIED);
    const writeOnlyDest = await open(smb, "access-copy.bin", FILE_WRITE_DATA | FILE_READ_ATTRIBUTES);
    expect((await copy(smb, writeOnlyDest, copyInput(key, chunk))).status).toBe(STATUS_ACCESS_DENIED);
    expect(await nfs.bytes("cat", "/access-copy.bin")).toHaveLength(0);
    expect(copied(await copy(smb, writeOnlyDest, copyInput(key, chunk), FSCTL_SRV_COPYCHUNK_WRITE)).totalBytesWritten).toBe(KiB);
    expect(await nfs.bytes("cat", "/access-copy.bin")).toEqual(data);
    // Execute access reads the data as well (as READ takes it).
    const executeKey = await resumeKey(smb, await open(smb, "access.bin", FILE_EXECUTE | FILE_READ_ATTRIBUTES));
    expect((await copy(smb, dest, copyInput(executeKey, [{ source: 0, target: KiB, length: KiB }]))).status).toBe(STATUS_SUCCESS);
  });

  it("respects another open's byte-range lock on the destination", async () => {
    const smb = await logon();
    const { file } = await sourceFile(smb, "locked-src.bin", KiB);
    const key = await resumeKey(smb, file);
    const dest = await open(smb, "locked-dest.bin");
    const locker = await open(smb, "locked-dest.bin");
    expect((await smb.call(SMB2_LOCK, lockBody(locker, 0n, 512n, 0x12))).status).toBe(STATUS_SUCCESS);
    const response = await copy(smb, dest, copyInput(key, [{ source: 0, target: 0, length: KiB }]));
    expect(response.status).toBe(STATUS_FILE_LOCK_CONFLICT);
    expect(copied(response)).toEqual({ chunksWritten: 0, chunkBytesWritten: 0, totalBytesWritten: 0 });
    expect(await nfs.bytes("cat", "/locked-dest.bin")).toHaveLength(0);
  });
});
