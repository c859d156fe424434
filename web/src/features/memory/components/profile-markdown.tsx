import type { ReactNode } from "react";

/**
 * Renders the small Markdown subset the memory profile uses — headings, paragraphs, `-` lists,
 * `>` quotes, `|` tables, **bold**, _italic_ and `code` — as React elements (never as HTML, so a
 * fact's text cannot inject markup). Anything else shows as plain text.
 */
export function ProfileMarkdown({ markdown }: { markdown: string }) {
  return <div className="profile-text">{blocks(markdown)}</div>;
}

type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "quote"; lines: string[] }
  | { kind: "table"; rows: string[][] }
  | { kind: "paragraph"; lines: string[] };

/** Splits the Markdown into blocks. */
export function parseBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const last = () => out[out.length - 1];
  for (const raw of markdown.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.trim() === "") {
      out.push({ kind: "paragraph", lines: [] });
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      out.push({ kind: "heading", level: heading[1]!.length as 1 | 2 | 3, text: heading[2]! });
      continue;
    }
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (item) {
      const prev = last();
      if (prev?.kind === "list") prev.items.push(item[1]!);
      else out.push({ kind: "list", items: [item[1]!] });
      continue;
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) {
      const prev = last();
      if (prev?.kind === "quote") prev.lines.push(quote[1]!);
      else out.push({ kind: "quote", lines: [quote[1]!] });
      continue;
    }
    if (line.startsWith("|") && line.endsWith("|")) {
      const cells = line.slice(1, -1).split("|").map((c) => c.trim());
      if (cells.every((c) => /^:?-{3,}:?$/.test(c))) continue;
      const prev = last();
      if (prev?.kind === "table") prev.rows.push(cells);
      else out.push({ kind: "table", rows: [cells] });
      continue;
    }
    const prev = last();
    if (prev?.kind === "paragraph") prev.lines.push(line);
    else out.push({ kind: "paragraph", lines: [line] });
  }
  return out.filter((b) => b.kind !== "paragraph" || b.lines.length > 0);
}

function blocks(markdown: string): ReactNode[] {
  return parseBlocks(markdown).map((block, i) => {
    switch (block.kind) {
      case "heading": {
        // The page already has an h1 and an h2 ("Profile"): profile headings sit below them.
        const Tag = (["h3", "h4", "h5"] as const)[block.level - 1]!;
        return <Tag key={i}>{inline(block.text)}</Tag>;
      }
      case "list":
        return (
          <ul key={i}>
            {block.items.map((item, j) => (
              <li key={j}>{inline(item)}</li>
            ))}
          </ul>
        );
      case "quote":
        return <blockquote key={i}>{inline(block.lines.join(" "))}</blockquote>;
      case "table": {
        const [head, ...body] = block.rows;
        return (
          <table key={i}>
            <thead>
              <tr>
                {(head ?? []).map((c, j) => (
                  <th key={j} scope="col">
                    {inline(c)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((row, r) => (
                <tr key={r}>
                  {row.map((c, j) => (
                    <td key={j}>{inline(c)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        );
      }
      case "paragraph":
        return <p key={i}>{inline(block.lines.join(" "))}</p>;
    }
  });
}

/** **bold**, _italic_ / *italic*, `code`; the rest is text. */
export function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /\*\*(.+?)\*\*|(?<![\p{L}\p{N}])_(.+?)_(?![\p{L}\p{N}])|`([^`]+)`/gu;
  let at = 0;
  let key = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    if (m[1] !== undefined) out.push(<strong key={key++}>{inline(m[1])}</strong>);
    else if (m[2] !== undefined) out.push(<em key={key++}>{inline(m[2])}</em>);
    else out.push(<code key={key++}>{m[3]}</code>);
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
