/**
 * The message ids a client may use (MS-SMB2 §3.3.1.1, §3.3.5.2.3): every request spends the ids
 * [MessageId, MessageId + CreditCharge), each at most once and only once granted; every
 * response grants more, up to MAX outstanding.
 */
export class CreditWindow {
  /** Ids below this are spent. */
  private low = 0n;
  /** Ids below this were granted. */
  private high = 1n;
  /** Spent ids at or above `low` (requests may arrive out of order). */
  private readonly spent = new Set<bigint>();

  constructor(private readonly max: number) {}

  /** Spends the ids of a request; false when one of them is not granted or already spent. */
  spend(messageId: bigint, charge: number): boolean {
    const count = BigInt(Math.max(1, charge));
    if (messageId < this.low || messageId + count > this.high) return false;
    for (let id = messageId; id < messageId + count; id++) if (this.spent.has(id)) return false;
    for (let id = messageId; id < messageId + count; id++) this.spent.add(id);
    while (this.spent.delete(this.low)) this.low++;
    return true;
  }

  /** Grants up to `requested` more ids (at least one when the client would hold none); returns how many. */
  grant(requested: number): number {
    const outstanding = Number(this.high - this.low) - this.spent.size;
    const room = this.max - outstanding;
    let granted = Math.min(Math.max(requested, 1), room);
    if (granted < 1) granted = outstanding < 1 ? 1 : 0;
    this.high += BigInt(granted);
    return granted;
  }
}
