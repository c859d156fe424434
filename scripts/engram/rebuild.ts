import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { printError } from "./format.ts";
import { AUTH_OPTIONS, follow, signIn } from "./session.ts";

/** `rebuild`: the explicit start-over (rebuild_memory): derived memory is rebuilt from the stored export. */
export const command: Command = {
  usage: "rebuild [--email e --password p] [--no-wait]",
  summary: "rebuild deep memory from scratch from the stored export (the scheduled sweep starts the worker)",
  async run(args) {
    const { values } = parseArgs({ args, options: { ...AUTH_OPTIONS, "no-wait": { type: "boolean" } } });
    try {
      const { client } = await signIn(values);
      const { data, error } = await client.rpc("rebuild_memory");
      if (error) {
        console.error(`rebuild refused: ${error.message}${error.details ? ` (${error.details})` : ""}`);
        return 1;
      }
      console.log(`rebuild started (run ${(data as { run_id: string }).run_id})`);
      if (values["no-wait"]) return 0;
      return (await follow(client)).full_pass_status === "complete" ? 0 : 1;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
