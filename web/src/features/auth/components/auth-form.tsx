import { useState, type FormEvent } from "react";
import { useAuthenticate, type AuthAction } from "../api/sign-in.ts";

/** Sign in / sign up with email and password, or try Engram without an account. */
export function AuthForm() {
  const [mode, setMode] = useState<"sign-in" | "sign-up">("sign-in");
  const auth = useAuthenticate();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const credentials = { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") };
    auth.mutate({ action: mode as AuthAction, credentials });
  };

  return (
    <section className="card auth-card">
      <h1>{mode === "sign-in" ? "Sign in to Engram" : "Create your Engram account"}</h1>
      <form onSubmit={submit} aria-label={mode === "sign-in" ? "Sign in" : "Sign up"}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
            minLength={6}
            required
          />
        </label>
        {auth.isError ? (
          <p role="alert" className="form-error">
            {auth.error.message}
          </p>
        ) : null}
        <button type="submit" disabled={auth.isPending}>
          {auth.isPending ? "Please wait…" : mode === "sign-in" ? "Sign in" : "Sign up"}
        </button>
      </form>
      <p>
        {mode === "sign-in" ? "New here? " : "Have an account? "}
        <button type="button" className="link" onClick={() => setMode(mode === "sign-in" ? "sign-up" : "sign-in")}>
          {mode === "sign-in" ? "Create an account" : "Sign in"}
        </button>
      </p>
      <p>
        <button type="button" className="link" onClick={() => auth.mutate({ action: "anonymous" })}>
          Try it without an account
        </button>
      </p>
    </section>
  );
}
