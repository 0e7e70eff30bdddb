/**
 * Shannon entropy of a string in bits per character: how unpredictable its characters
 * are. Random tokens score high (a 40-character base62 token ≈ 4.8), words and repeated
 * text low (`changeme_changeme…` ≈ 2.9), hex at most log2(16) = 4.
 *
 * @example shannonEntropy("aabb") // 1
 */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...text].length;
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
