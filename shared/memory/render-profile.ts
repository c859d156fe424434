import type { CustomInstructions } from "../model/custom-instructions.ts";
import type { Fact, FactKind } from "./fact.ts";
import { rankTerms, topTopics, type ActivityByMonth, type TopicCounts } from "./topics.ts";

/** Everything the MEMORY profile is built from. */
export interface ProfileInput {
  /** Consolidated facts (see consolidateFacts), best first. */
  facts: Fact[];
  customInstructions: CustomInstructions[];
  topics: TopicCounts;
  activity: ActivityByMonth;
  /** Set when some of the input could not be used: the profile then says so, prominently. */
  partial?: { reason: string; failed: number; total: number } | null;
  /** Facts per section (default 10). */
  maxPerKind?: number;
}

const SECTIONS: [FactKind, string][] = [
  ["identity", "Identity"],
  ["work", "Work"],
  ["place", "Places"],
  ["person", "People"],
  ["preference", "Preferences"],
  ["goal", "Goals"],
  ["project", "Projects"],
];

/** Renders the MEMORY profile as Markdown (deterministic for the same input). */
export function renderProfile(input: ProfileInput): string {
  const max = input.maxPerKind ?? 10;
  const out: string[] = ["# Memory profile", ""];
  if (input.partial) {
    const { reason, failed, total } = input.partial;
    out.push(`> **Built from partial input.** ${failed} of ${total} ${reason}; what they held is missing below.`, "");
  }
  const months = Object.keys(input.activity).sort();
  const conversations = months.reduce((n, m) => n + input.activity[m]!.conversations, 0);
  if (months.length > 0) out.push(`_From ${conversations} conversation${conversations === 1 ? "" : "s"}, ${months[0]} to ${months[months.length - 1]}._`, "");

  const latest = input.customInstructions[input.customInstructions.length - 1];
  if (latest) {
    out.push("## In your own words (custom instructions)", "");
    if (latest.aboutUser) out.push(quote(latest.aboutUser), "");
    if (latest.aboutModel) out.push("**How you like answers:**", "", quote(latest.aboutModel), "");
  }

  for (const [kind, title] of SECTIONS) {
    const facts = input.facts.filter((f) => f.kind === kind && !f.key.startsWith("about me")).slice(0, max);
    if (facts.length === 0) continue;
    out.push(`## ${title}`, "");
    for (const f of facts) {
      out.push(`- ${escape(f.statement)} _(confidence ${f.confidence.toFixed(2)}; ${f.mentions}× ${f.firstSeen.slice(0, 7)}–${f.lastSeen.slice(0, 7)})_`);
    }
    out.push("");
  }

  const top = topTopics(input.topics, 12);
  if (top.length > 0) {
    out.push("## Topics", "", top.map(([t]) => t).join(", "), "", "### Over time", "", "| Month | Top topics |", "|---|---|");
    for (const month of Object.keys(input.topics).sort()) {
      out.push(`| ${month} | ${rankTerms(input.topics[month]!).slice(0, 5).map(([t]) => t).join(", ")} |`);
    }
    out.push("");
  }
  if (months.length > 0) {
    out.push("## Activity by month", "", "| Month | Conversations | Messages |", "|---|---|---|");
    for (const m of months) out.push(`| ${m} | ${input.activity[m]!.conversations} | ${input.activity[m]!.messages} |`);
    out.push("");
  }
  return out.join("\n");
}

function quote(text: string): string {
  return text.split("\n").map((l) => `> ${escape(l)}`).join("\n");
}

function escape(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, "\\$1");
}
