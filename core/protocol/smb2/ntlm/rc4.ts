/**
 * RC4, as NTLM uses it (MS-NLMP §6 RC4K / RC4Init / RC4): to unwrap the key-exchanged session key
 * (§3.2.5.1.2) and to encrypt the checksum of a signature (§3.4.4.2). Hand-written because
 * OpenSSL 3 keeps RC4 in its legacy provider (absent from this Node) and BoringSSL may lack it.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** RC4Init(key): the key schedule. */
  constructor(key: Buffer | Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key of ${key.length} bytes`);
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    let j = 0;
    for (let n = 0; n < 256; n++) {
      j = (j + (s[n] as number) + (key[n % key.length] as number)) & 0xff;
      [s[n], s[j]] = [s[j] as number, s[n] as number];
    }
  }

  /** RC4(handle, data): returns data XOR the next keystream bytes; the state carries over to the next call. */
  apply(data: Buffer | Uint8Array): Buffer {
    const s = this.s;
    const out = Buffer.allocUnsafe(data.length);
    for (let n = 0; n < data.length; n++) {
      this.i = (this.i + 1) & 0xff;
      this.j = (this.j + (s[this.i] as number)) & 0xff;
      const si = s[this.i] as number;
      s[this.i] = s[this.j] as number;
      s[this.j] = si;
      out[n] = (data[n] as number) ^ (s[(si + (s[this.i] as number)) & 0xff] as number);
    }
    return out;
  }
}

/** RC4K(key, data): a one-shot RC4 with a fresh key schedule. */
export function rc4k(key: Buffer | Uint8Array, data: Buffer | Uint8Array): Buffer {
  return new Rc4(key).apply(data);
}
