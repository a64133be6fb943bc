/**
 * FNV-1a, 128 bits, as 32 hex digits: a pure, deterministic hash for ids (message ids, delivery instance ids)
 * that orchestrations compute on replay. Not for secrets; the inputs are ids this control plane generates.
 */
const OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const PRIME = 0x0000000001000000000000000000013bn;
const MASK = (1n << 128n) - 1n;

export function stableHash(text: string): string {
  let h = OFFSET;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * PRIME) & MASK;
  return h.toString(16).padStart(32, '0');
}
