/**
 * MD4 (RFC 1320), needed for the NT hash: NTOWFv1 = MD4(UTF-16LE(password)), MS-NLMP §3.3.1.
 * Hand-written because OpenSSL 3 ships MD4 only in its legacy provider (disabled in this Node) and
 * Electron's BoringSSL may not have it either. Hashes short inputs (passwords), so it favours
 * clarity over speed.
 */

const S1 = [3, 7, 11, 19];
const S2 = [3, 5, 9, 13];
const S3 = [3, 9, 11, 15];
/** Word order of round 3 (RFC 1320 §3.4). */
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

export function md4(data: Buffer | Uint8Array): Buffer {
  // Padding (RFC 1320 §3.1-3.2): a 1 bit, zeros to 56 mod 64, then the bit length as 64-bit LE.
  const bitLength = BigInt(data.length) * 8n;
  const padded = Buffer.alloc((((data.length + 8) >> 6) + 1) * 64);
  padded.set(data, 0);
  padded[data.length] = 0x80;
  padded.writeBigUInt64LE(bitLength & 0xffff_ffff_ffff_ffffn, padded.length - 8);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);

  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const word = (i: number): number => x[i] as number;

    // Round 1: F(X,Y,Z) = XY v not(X) Z.
    for (let i = 0; i < 16; i++) {
      const f = ((b & c) | (~b & d)) >>> 0;
      const t = rotl((a + f + word(i)) >>> 0, S1[i % 4] as number);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, plus 0x5A827999; words taken by column.
    for (let i = 0; i < 16; i++) {
      const g = ((b & c) | (b & d) | (c & d)) >>> 0;
      const k = (i % 4) * 4 + (i >> 2);
      const t = rotl((a + g + word(k) + 0x5a827999) >>> 0, S2[i % 4] as number);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, plus 0x6ED9EBA1.
    for (let i = 0; i < 16; i++) {
      const h = (b ^ c ^ d) >>> 0;
      const t = rotl((a + h + word(R3_ORDER[i] as number) + 0x6ed9eba1) >>> 0, S3[i % 4] as number);
      [a, b, c, d] = [d, t, b, c];
    }

    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }

  const digest = Buffer.allocUnsafe(16);
  digest.writeUInt32LE(a, 0);
  digest.writeUInt32LE(b, 4);
  digest.writeUInt32LE(c, 8);
  digest.writeUInt32LE(d, 12);
  return digest;
}
