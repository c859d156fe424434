import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { printError } from "./format.ts";
import { AUTH_OPTIONS, describeStatus, fetchStatus, follow, signIn } from "./session.ts";

/** `status`: the caller's import picture (get_import_status); `--follow` waits until it settles. */
export const command: Command = {
  usage: "status [--email e --password p] [--follow] [--json]",
  summary: "show the import and deep-memory status (and whether a retry is possible)",
  async run(args) {
    const { values } = parseArgs({ args, options: { ...AUTH_OPTIONS, follow: { type: "boolean" }, json: { type: "boolean" } } });
    try {
      const { client } = await signIn(values);
      const s = values.follow ? await follow(client) : await fetchStatus(client);
      console.log(values.json ? JSON.stringify(s, null, 2) : describeStatus(s));
      return 0;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
