import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ActivityChart } from "./activity-chart.tsx";
import { conversationsByMonth } from "./memory-page.tsx";

describe("activity plot", () => {
  it("conversationsByMonth() reads the worker's per-month objects and plain counts", () => {
    expect(conversationsByMonth({ activity: { "2024-01": { conversations: 4, messages: 30, userMessages: 15 }, "2024-02": 2 } })).toEqual({
      "2024-01": 4,
      "2024-02": 2,
    });
    expect(conversationsByMonth(null)).toEqual({});
  });

  it("ActivityChart() draws one labelled bar per month, in order, tallest for the busiest month", () => {
    const { container } = render(<ActivityChart byMonth={{ "2024-03": 1, "2024-01": 8, "2024-02": 4 }} />);
    expect(screen.getByRole("img", { name: "Conversations per month, 2024-01 to 2024-03" })).toBeTruthy();
    const bars = [...container.querySelectorAll("rect")];
    expect(bars.map((b) => b.querySelector("title")?.textContent)).toEqual([
      "2024-01: 8 conversations",
      "2024-02: 4 conversations",
      "2024-03: 1 conversations",
    ]);
    const heights = bars.map((b) => Number(b.getAttribute("height")));
    expect(heights[0]).toBeGreaterThan(heights[1]!);
    expect(heights[1]).toBeGreaterThan(heights[2]!);
  });

  it("ActivityChart() says so when there is nothing dated", () => {
    render(<ActivityChart byMonth={{}} />);
    expect(screen.getByText("No dated conversations yet.")).toBeTruthy();
  });
});
