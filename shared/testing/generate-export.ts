import { Rng } from "./rng.ts";

/** Options of {@link generateExport}. */
export interface GenerateOptions {
  /** Exact number of conversations (when `targetBytes` is not given). */
  conversations?: number;
  /** Keep adding conversations until the JSON reaches this many bytes. */
  targetBytes?: number;
  seed?: number;
  /** Fraction of conversations that carry custom instructions (default 0.3). */
  customInstructionsRate?: number;
}

const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part " +
  "project data model function error build test deploy server client query index memory export import stream chunk token budget schedule travel recipe garden guitar marathon python rust typescript postgres kubernetes design review budget invoice contract meeting presentation research paper thesis startup product launch customer feedback analytics dashboard migration backup security privacy"
).split(" ");
const NAMES = ["Alex", "Maria", "Sam", "Priya", "Jonas", "Keiko", "Omar", "Lena", "Diego", "Ana"];
const CITIES = ["Lisbon", "Berlin", "Toronto", "Osaka", "Nairobi", "Austin", "Lyon", "Melbourne", "São Paulo", "Kraków"];
const JOBS = ["software engineer", "teacher", "nurse", "product manager", "data scientist", "architect", "chef", "journalist"];
const HOBBIES = ["hiking", "jazz", "chess", "baking bread", "climbing", "photography", "sci-fi novels", "gardening"];
const MODELS = ["gpt-4o", "gpt-4", "text-davinci-002-render-sha", "o1", "gpt-4o-mini"];
const NON_ASCII = ["café déjà vu", "naïve façade", "日本語のテキスト", "中文内容", "emoji 🎉🚀", "Ελληνικά", "русский текст"];

/**
 * A deterministic synthetic ChatGPT `conversations.json` with realistic structure: a mapping tree
 * with a hidden system root, branches (edited prompts), tool calls and outputs, thoughts, images,
 * voice transcriptions, custom instructions, per-message metadata like real exports, and users
 * who sometimes talk about themselves. Yields UTF-8 chunks (one conversation each), so 500 MB can
 * be written to disk without holding it.
 */
export function* generateExport(options: GenerateOptions = {}): Generator<Uint8Array> {
  const rng = new Rng(options.seed ?? 1);
  const enc = new TextEncoder();
  const target = options.targetBytes;
  const count = options.conversations ?? (target === undefined ? 10 : Number.POSITIVE_INFINITY);
  const ciRate = options.customInstructionsRate ?? 0.3;
  const persona = { name: rng.pick(NAMES), city: rng.pick(CITIES), job: rng.pick(JOBS), hobby: rng.pick(HOBBIES) };
  let bytes = 1;
  yield enc.encode("[");
  let t = 1_672_531_200 + rng.next(); // 2023-01-01
  for (let i = 0; i < count; i++) {
    if (target !== undefined && bytes >= target) break;
    t += rng.int(600, 86_400 * 2) + rng.next();
    const conv = conversation(rng, t, persona, rng.chance(ciRate));
    const chunk = enc.encode((i === 0 ? "" : ",") + JSON.stringify(conv));
    bytes += chunk.length;
    yield chunk;
  }
  yield enc.encode("]");
}

type Persona = { name: string; city: string; job: string; hobby: string };

function sentence(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  const s = words.join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1) + ".";
}

function paragraph(rng: Rng, sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) out.push(sentence(rng, 6, 18));
  if (rng.chance(0.05)) out.push(rng.pick(NON_ASCII));
  return out.join(" ");
}

function selfStatement(rng: Rng, p: Persona): string {
  return rng.pick([
    `My name is ${p.name}.`,
    `I live in ${p.city}.`,
    `I work as a ${p.job}.`,
    `I love ${p.hobby}.`,
    `I'm working on a ${rng.pick(WORDS)} ${rng.pick(["app", "book", "garden", "thesis"])}.`,
    `My goal is to run a marathon this year.`,
    `My sister ${rng.pick(NAMES)} is visiting next week.`,
  ]);
}

function conversation(rng: Rng, start: number, persona: Persona, withInstructions: boolean): unknown {
  const id = rng.uuid();
  const model = rng.pick(MODELS);
  const mapping: Record<string, unknown> = {};
  let time = start;
  const rootId = "client-created-root";
  mapping[rootId] = { id: rootId, message: null, parent: null, children: [] };
  let parent = rootId;
  const add = (message: Record<string, unknown> | null, nodeId = rng.uuid()): string => {
    mapping[nodeId] = { id: nodeId, message: message ? { id: nodeId, ...message } : null, parent, children: [] };
    (mapping[parent] as { children: string[] }).children.push(nodeId);
    parent = nodeId;
    return nodeId;
  };
  const meta = (extra: Record<string, unknown> = {}) => ({
    citations: [], content_references: [], request_id: rng.uuid().slice(0, 18), message_type: "next",
    model_slug: model, default_model_slug: model, parent_id: parent, finish_details: { type: "stop", stop_tokens: [200002] },
    is_complete: true, timestamp_: "absolute", ...extra,
  });
  const msg = (role: string, content: unknown, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => {
    time += rng.int(5, 120) + rng.next();
    return {
      author: { role, name: role === "tool" ? "python" : null, metadata: {} },
      create_time: time, update_time: role === "assistant" ? time : null,
      content, status: "finished_successfully", end_turn: role === "assistant" ? true : null, weight: 1.0,
      metadata: meta(metadata), recipient: "all", channel: null, ...extra,
    };
  };
  add(msg("system", { content_type: "text", parts: [""] }, {}, { is_visually_hidden_from_conversation: true }));
  if (withInstructions) {
    add(msg("user", {
      content_type: "user_editable_context",
      user_profile: `The user provided the following information about themselves. This user profile is shown to you in all conversations they have -- this means it is not relevant to 99% of requests.\nUser profile:\n\`\`\`I am ${persona.name}, a ${persona.job} in ${persona.city}.\`\`\``,
      user_instructions: "The user provided the additional info about how they would like you to respond:\n```Be concise.```",
    }, {}, { is_visually_hidden_from_conversation: true, user_context_message_data: { about_user_message: `I am ${persona.name}, a ${persona.job} in ${persona.city}.`, about_model_message: "Be concise." } }));
  }
  const turns = rng.int(1, 14);
  for (let k = 0; k < turns; k++) {
    const userText = (rng.chance(0.15) ? selfStatement(rng, persona) + " " : "") + paragraph(rng, rng.int(1, 5));
    if (rng.chance(0.08)) {
      // An edited prompt: the old branch stays in the mapping but is not on the visible thread.
      const fork = parent;
      add(msg("user", { content_type: "text", parts: ["(abandoned draft) " + paragraph(rng, 1)] }));
      add(msg("assistant", { content_type: "text", parts: [paragraph(rng, 2)] }));
      parent = fork;
    }
    if (rng.chance(0.05)) {
      add(msg("user", { content_type: "multimodal_text", parts: [{ content_type: "image_asset_pointer", asset_pointer: `file-service://file-${rng.uuid()}`, size_bytes: 123456, width: 800, height: 600 }, userText] }));
    } else if (rng.chance(0.03)) {
      add(msg("user", { content_type: "multimodal_text", parts: [{ content_type: "audio_transcription", text: userText, direction: "in" }, { content_type: "audio_asset_pointer", asset_pointer: `sediment://${rng.uuid()}` }] }));
    } else {
      add(msg("user", { content_type: "text", parts: [userText] }));
    }
    if (rng.chance(0.1)) {
      add(msg("assistant", { content_type: "thoughts", thoughts: [{ summary: "Thinking", content: paragraph(rng, 2) }], source_analysis_msg_id: rng.uuid() }));
      add(msg("assistant", { content_type: "reasoning_recap", content: "Thought for 4 seconds" }));
    }
    if (rng.chance(0.1)) {
      add(msg("assistant", { content_type: "code", language: "unknown", text: "print(sum(range(10)))" }, { recipient: "python" }));
      add(msg("tool", { content_type: "execution_output", text: "45" }));
    }
    add(msg("assistant", { content_type: "text", parts: [paragraph(rng, rng.int(2, 12))] }));
  }
  return {
    title: sentence(rng, 2, 6).slice(0, -1), create_time: start, update_time: time, mapping,
    moderation_results: [], current_node: parent, plugin_ids: null, conversation_id: id,
    conversation_template_id: null, gizmo_id: null, is_archived: false, safe_urls: [], default_model_slug: model, id,
  };
}

/** {@link generateExport} collected into one byte array, for tests and benchmarks of small exports. */
export function generateExportBytes(options: GenerateOptions = {}): Uint8Array {
  const parts = [...generateExport(options)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
