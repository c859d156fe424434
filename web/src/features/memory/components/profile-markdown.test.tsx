import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ProfileMarkdown } from "./profile-markdown.tsx";

const PROFILE = `# Memory profile

> **Built from partial input.** 3 of 5 conversations could not be read.

_From 2 conversations, 2023-11 to 2023-11._

## Places

- Lives in Lisbon _(confidence 0.85; 1× 2023-11–2023-11)_
- Prefers quiet places

| Month | Conversations | Messages |
|---|---|---|
| 2023-11 | 2 | 11 |
`;

describe("ProfileMarkdown", () => {
  it("ProfileMarkdown() renders headings, quotes, lists, tables and emphasis as elements", () => {
    const { container } = render(<ProfileMarkdown markdown={PROFILE} />);
    expect(screen.getByRole("heading", { level: 3, name: "Memory profile" })).toBeTruthy();
    expect(screen.getByRole("heading", { level: 4, name: "Places" })).toBeTruthy();
    expect(container.querySelector("blockquote strong")?.textContent).toBe("Built from partial input.");
    expect(screen.getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Lives in Lisbon (confidence 0.85; 1× 2023-11–2023-11)",
      "Prefers quiet places",
    ]);
    expect(container.querySelector("li em")?.textContent).toBe("(confidence 0.85; 1× 2023-11–2023-11)");
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Month", "Conversations", "Messages"]);
    expect(screen.getAllByRole("cell").map((td) => td.textContent)).toEqual(["2023-11", "2", "11"]);
    expect(container.querySelector("p em")?.textContent).toBe("From 2 conversations, 2023-11 to 2023-11.");
  });

  it("ProfileMarkdown() shows markup inside a fact as text, never as HTML", () => {
    const { container } = render(<ProfileMarkdown markdown={'- Likes <img src=x onerror="alert(1)"> and snake_case_names'} />);
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByRole("listitem").textContent).toBe('Likes <img src=x onerror="alert(1)"> and snake_case_names');
  });
});
