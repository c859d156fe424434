/**
 * Loads the committed fixture files in any runtime (fetch of a file: URL works in Deno; Node
 * tests use the node: reader in load-fixture.ts).
 */
export const FIXTURES = {
  chatgpt: "chatgpt/conversations.json",
  split0: "chatgpt-split/conversations-000.json",
  split1: "chatgpt-split/conversations-001.json",
  splitManifest: "chatgpt-split/export_manifest.json",
  claude: "claude/conversations.json",
} as const;

/** URL of a fixture file. */
export function fixtureUrl(path: string): URL {
  return new URL(`../fixtures/${path}`, import.meta.url);
}
