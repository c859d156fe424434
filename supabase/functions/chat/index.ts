import { env } from "../_shared/env.ts";
import { withErrors } from "../_shared/http.ts";
import { handleChat } from "./handler.ts";

const config = env();
Deno.serve(withErrors((req) => handleChat(req, { env: config })));
