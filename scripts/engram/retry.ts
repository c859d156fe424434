import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { printError } from "./format.ts";
import { AUTH_OPTIONS, callFunction, follow, signIn } from "./session.ts";

/** `retry`: "Retry deep memory" — retry-full-pass resumes the failed full pass from the stored export. */
export const command: Command = {
  usage: "retry [--email e --password p] [--no-wait]",
  summary: "retry a failed deep-memory pass from the export already stored (no re-upload)",
  async run(args) {
    const { values } = parseArgs({ args, options: { ...AUTH_OPTIONS, "no-wait": { type: "boolean" } } });
    try {
      const { client } = await signIn(values);
      const r = await callFunction(client, "retry-full-pass", {});
      if (r.status !== 202) {
        const reason = r.body?.error?.details?.reason ? ` (${r.body.error.details.reason})` : "";
        console.error(`retry-full-pass answered ${r.status}: ${r.body?.error?.message ?? JSON.stringify(r.body)}${reason}`);
        return 1;
      }
      console.log(`retry started: attempt ${r.body.attempt}, ${r.body.requeuedTasks} task(s) to redo`);
      if (values["no-wait"]) return 0;
      return (await follow(client)).full_pass_status === "complete" ? 0 : 1;
    } catch (e) {
      printError(e);
      return 1;
    }
  },
};
