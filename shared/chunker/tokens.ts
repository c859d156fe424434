/**
 * Token estimate used for chunk sizes (no tokenizer dependency, same result in every runtime):
 * English-like text averages ~4 characters per token, so each UTF-16 unit costs 1/4 token; CJK
 * ideographs, kana and Hangul syllables are roughly one token each, so they cost 1. A surrogate
 * pair (emoji, rare ideographs) costs 1 in total. Costs are kept in integer quarter-tokens.
 */
export const UNITS_PER_TOKEN = 4;

/** Cost of one UTF-16 code unit, in quarter-tokens. */
export function unitCost(code: number): number {
  if (code < 0x3000) return 1;
  if (code >= 0xdc00 && code <= 0xdfff) return 0; // low surrogate: its pair's high half paid
  if (code >= 0xd800 && code <= 0xdbff) return 4; // astral code point (emoji…): ~1 token
  if (
    (code >= 0x3040 && code <= 0x30ff) || // kana
    (code >= 0x3400 && code <= 0x4dbf) || // CJK extension A
    (code >= 0x4e00 && code <= 0x9fff) || // CJK unified ideographs
    (code >= 0xac00 && code <= 0xd7af) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) // CJK compatibility
  ) {
    return 4;
  }
  return 1;
}

/** Estimated tokens of a text (see the module comment for the rule). */
export function estimateTokens(text: string): number {
  let units = 0;
  for (let i = 0; i < text.length; i++) units += unitCost(text.charCodeAt(i));
  return Math.ceil(units / UNITS_PER_TOKEN);
}
