/** Conversations per month as a bar chart (SVG, no chart library: small and accessible). */
export function ActivityChart({ byMonth }: { byMonth: Record<string, number> }) {
  const months = Object.keys(byMonth).sort();
  if (months.length === 0) return <p className="muted">No dated conversations yet.</p>;
  const max = Math.max(...months.map((m) => byMonth[m] ?? 0), 1);
  const barWidth = 18;
  const gap = 4;
  const height = 120;
  const width = months.length * (barWidth + gap);
  return (
    <figure>
      <svg
        role="img"
        aria-label={`Conversations per month, ${months[0]} to ${months[months.length - 1]}`}
        viewBox={`0 0 ${width} ${height + 20}`}
        width="100%"
        height={height + 20}
        preserveAspectRatio="xMinYMid meet"
      >
        {months.map((month, i) => {
          const value = byMonth[month] ?? 0;
          const h = Math.max(1, Math.round((value / max) * height));
          return (
            <g key={month}>
              <rect x={i * (barWidth + gap)} y={height - h} width={barWidth} height={h} fill="#5b7fd6">
                <title>{`${month}: ${value} conversations`}</title>
              </rect>
              {i % Math.ceil(months.length / 8) === 0 ? (
                <text x={i * (barWidth + gap)} y={height + 14} fontSize="9" fill="#555">
                  {month}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">Conversations per month</figcaption>
    </figure>
  );
}
