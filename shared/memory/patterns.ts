import type { FactKind } from "./fact.ts";

/** A rule that recognizes a self-statement in one sentence of the user's own words. */
export interface Pattern {
  kind: FactKind;
  /** Must match the sentence. */
  re: RegExp;
  /** The capture group holding the value (default 1). */
  group?: number;
  /** Statement from the match, e.g. v => `Lives in ${v}`. */
  statement: (value: string, m: RegExpExecArray) => string;
  /** Part of the key that groups values into the same "slot" (e.g. "lives in"). */
  slot: string | ((m: RegExpExecArray) => string);
  confidence: number;
}

const VALUE = "([^.,;:!?\\n()\"“”]{2,60}?)";
const END = "(?=\\s*(?:[.,;:!?\\n()]|$|\\s(?:and|but|so|because|where|which|who|since|for|with)\\s))";
const NAME = "(\\p{Lu}[\\p{L}'’-]+(?:\\s\\p{Lu}[\\p{L}'’-]+)?)";
const RELATIONS = "wife|husband|partner|girlfriend|boyfriend|son|daughter|kids?|children|mother|mom|mum|father|dad|brother|sister|friend|best friend|boss|manager|colleague|cofounder|co-founder|dog|cat";
const PROFESSIONS =
  "(?:software |data |machine learning |civil |mechanical |electrical )?(?:engineer|developer|programmer|designer|scientist|researcher|analyst|manager|nurse|doctor|physician|teacher|professor|student|lawyer|architect|writer|journalist|consultant|accountant|chef|artist|musician|founder|entrepreneur|photographer|therapist|pharmacist|product manager)";

/**
 * The offline extractor's rules: first-person statements about identity, work, places, people,
 * preferences, goals and projects. Conservative on purpose — a missed fact is cheaper than an
 * invented one — and each rule carries its own confidence.
 */
export const PATTERNS: readonly Pattern[] = [
  { kind: "identity", re: new RegExp(`\\b[Mm]y name is ${NAME}`, "u"), statement: (v) => `Name: ${v}`, slot: "name", confidence: 0.9 },
  { kind: "identity", re: /\b(?:please )?call me (\p{Lu}[\p{L}'’-]+)/u, statement: (v) => `Likes to be called ${v}`, slot: "called", confidence: 0.7 },
  { kind: "identity", re: /\bI(?:'m|’m| am) (\d{1,2}) years old\b/, statement: (v) => `Age: ${v}`, slot: "age", confidence: 0.8 },
  { kind: "work", re: new RegExp(`\\bI(?:'m|’m| am) (?:a|an) (${PROFESSIONS})\\b`, "i"), statement: (v) => `Works as ${article(v)}`, slot: "works as", confidence: 0.75 },
  { kind: "work", re: new RegExp(`\\bI work as (?:a |an )?${VALUE}${END}`, "i"), statement: (v) => `Works as ${article(v)}`, slot: "works as", confidence: 0.85 },
  { kind: "work", re: new RegExp(`\\bI work (?:at|for) ${VALUE}${END}`, "i"), statement: (v) => `Works at ${v}`, slot: "works at", confidence: 0.8 },
  { kind: "work", re: new RegExp(`\\bmy job is ${VALUE}${END}`, "i"), statement: (v) => `Job: ${v}`, slot: "job", confidence: 0.7 },
  { kind: "place", re: new RegExp(`\\bI live in ${NAME}`, "u"), statement: (v) => `Lives in ${v}`, slot: "lives in", confidence: 0.85 },
  { kind: "place", re: new RegExp(`\\bI(?:'m|’m| am) (?:originally )?from ${NAME}`, "u"), statement: (v) => `From ${v}`, slot: "from", confidence: 0.75 },
  { kind: "place", re: new RegExp(`\\bI (?:just )?moved to ${NAME}`, "u"), statement: (v) => `Moved to ${v}`, slot: "lives in", confidence: 0.75 },
  { kind: "place", re: new RegExp(`\\bI(?:'m|’m| am) based in ${NAME}`, "u"), statement: (v) => `Based in ${v}`, slot: "lives in", confidence: 0.8 },
  {
    kind: "person",
    re: new RegExp(`\\b[Mm]y (${RELATIONS})(?:'s name is| is named| is called| named| called|,)? ${NAME}`, "u"),
    group: 2,
    statement: (v, m) => `${cap(m[1]!)}: ${v}`,
    slot: (m) => m[1]!.toLowerCase(),
    confidence: 0.7,
  },
  { kind: "preference", re: new RegExp(`\\bI (?:really |absolutely )?(love|enjoy|prefer|like) (?!to know|it when|that|this|your|you|how|what|when|the idea)${VALUE}${END}`, "i"), group: 2, statement: (v, m) => `${m[1]!.toLowerCase() === "prefer" ? "Prefers" : "Likes"} ${v}`, slot: "likes", confidence: 0.6 },
  { kind: "preference", re: new RegExp(`\\bI (?:really )?(?:hate|dislike|can't stand|can’t stand) (?!it when|that|this|when)${VALUE}${END}`, "i"), statement: (v) => `Dislikes ${v}`, slot: "dislikes", confidence: 0.6 },
  { kind: "preference", re: new RegExp(`\\bI(?:'m|’m| am) (?:a )?(vegetarian|vegan|allergic to [\\p{L} ]{2,30}|lactose intolerant)`, "iu"), statement: (v) => `Is ${v}`, slot: "diet", confidence: 0.8 },
  { kind: "goal", re: new RegExp(`\\b[Mm]y goal is to ${VALUE}${END}`, "i"), statement: (v) => `Goal: ${v}`, slot: "goal", confidence: 0.8 },
  { kind: "goal", re: new RegExp(`\\bI(?:'m|’m| am) (?:trying|planning|hoping) to ${VALUE}${END}`, "i"), statement: (v) => `Wants to ${v}`, slot: "goal", confidence: 0.55 },
  { kind: "goal", re: new RegExp(`\\bI (?:hope|plan) to ${VALUE}${END}`, "i"), statement: (v) => `Wants to ${v}`, slot: "goal", confidence: 0.5 },
  { kind: "project", re: new RegExp(`\\bI(?:'m|’m| am) (?:currently )?(?:working on|building|writing|developing|creating) (?:a |an |my )?${VALUE}${END}`, "i"), statement: (v) => `Working on ${v}`, slot: "project", confidence: 0.6 },
  { kind: "project", re: new RegExp(`\\bmy (?:side )?project (?:is )?(?:called )?${VALUE}${END}`, "i"), statement: (v) => `Project: ${v}`, slot: "project", confidence: 0.6 },
];

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function article(v: string): string {
  return /^(?:a|an|the)\s/i.test(v) ? v : `${/^[aeiou]/i.test(v) ? "an" : "a"} ${v}`;
}

/** Sentences that talk about someone else, a hypothetical or a story are not self-statements. */
export const NOT_ABOUT_ME = /\b(?:pretend|imagine|role-?play|hypothetical(?:ly)?|write (?:a|me a) (?:story|poem|letter|dialogue|email)|as if|suppose|in this story|my character|act as)\b/i;
