import type { CustomInstructions, CustomInstructionsSighting } from "../model/custom-instructions.ts";
import { sha256Hex } from "../util/sha256.ts";

/**
 * Deduplicates custom-instruction sightings across conversations: one record per distinct
 * (aboutUser, aboutModel) pair with first/last seen times and a conversation count. Output order
 * is by first sighting then id, so it is deterministic.
 */
export class CustomInstructionsCollector {
  private readonly byKey = new Map<string, { aboutUser: string; aboutModel: string; first: string; last: string; conversations: number }>();

  /** Adds the sightings of one conversation (a version counts once per conversation). */
  add(sightings: CustomInstructionsSighting[]): void {
    const seenHere = new Set<string>();
    for (const s of sightings) {
      const key = JSON.stringify([s.aboutUser, s.aboutModel]);
      const entry = this.byKey.get(key);
      if (!entry) {
        this.byKey.set(key, { aboutUser: s.aboutUser, aboutModel: s.aboutModel, first: s.at, last: s.at, conversations: 1 });
      } else {
        if (s.at < entry.first) entry.first = s.at;
        if (s.at > entry.last) entry.last = s.at;
        if (!seenHere.has(key)) entry.conversations++;
      }
      seenHere.add(key);
    }
  }

  /** The distinct versions, oldest first. */
  async result(): Promise<CustomInstructions[]> {
    const out: CustomInstructions[] = [];
    for (const [key, e] of this.byKey) {
      out.push({
        id: await sha256Hex(key),
        aboutUser: e.aboutUser,
        aboutModel: e.aboutModel,
        firstSeen: e.first,
        lastSeen: e.last,
        conversations: e.conversations,
      });
    }
    return out.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
