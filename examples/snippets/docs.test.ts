// The docs' TypeScript/JavaScript code blocks are tested code: each one is marked
// `<!-- snippet: examples/snippets/NAME.ts -->` on the line above its fence and must be exactly the
// `// #region docs` … `// #endregion docs` lines of that file (every region in order, each one
// dedented). The file is type-checked by the examples workspace and run by NAME.test.ts, so the
// docs and the tested code cannot drift apart.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SNIPPETS = "examples/snippets";
const CODE_LANGS = new Set([
  ...["ts", "typescript", "tsx", "mts", "cts"],
  ...["js", "javascript", "jsx", "mjs", "cjs"],
]);
const MARKER = /^<!--\s*snippet:\s*(\S+)\s*-->\s*$/;
const REGION_START = "// #region docs";
const REGION_END = "// #endregion docs";

interface Block {
  /** `doc:line` of the opening fence. */
  readonly where: string;
  /** The info string's first word, lower-cased. */
  readonly lang: string;
  /** The block's text, without the fences. */
  readonly code: string;
  /** The marked snippet file (repository-relative), or `null`. */
  readonly snippet: string | null;
}

/** The fenced code blocks of a Markdown text, with their snippet markers; throws on bad markup. */
function codeBlocks(doc: string, text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (marker !== null && !/^ {0,3}(`{3,}|~{3,})/.test(lines[i + 1] ?? ""))
      throw new Error(`${doc}:${i + 1}: a snippet marker must be right above a code fence`);
    if (open === null) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const close = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`);
      if (close.test(lines[i]!)) break;
      body.push(lines[i]!);
    }
    if (i >= lines.length) throw new Error(`${doc}:${start + 1}: unclosed code fence`);
    const above = start > 0 ? MARKER.exec(lines[start - 1]!) : null;
    blocks.push({
      where: `${doc}:${start + 1}`,
      lang: open[2]!.toLowerCase(),
      code: body.join("\n"),
      snippet: above?.[1] ?? null,
    });
  }
  return blocks;
}

/** Removes the common indentation of `lines` (blank lines become empty). */
function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => (l.trim() === "" ? "" : l.slice(cut)));
}

/** The `#region docs` lines of a source file: every region in order, each dedented, joined. */
function docsRegion(file: string, source: string): string {
  const out: string[] = [];
  let open: string[] | null = null;
  source.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === REGION_START) {
      if (open !== null) throw new Error(`${file}:${i + 1}: nested ${REGION_START}`);
      open = [];
    } else if (t === REGION_END) {
      if (open === null) throw new Error(`${file}:${i + 1}: ${REGION_END} without a region`);
      out.push(...dedent(open));
      open = null;
    } else if (open !== null) open.push(line);
  });
  if (open !== null) throw new Error(`${file}: unclosed ${REGION_START}`);
  if (out.length === 0) throw new Error(`${file}: no ${REGION_START} … ${REGION_END} region`);
  return out.join("\n");
}

const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const mdIn = (dir: string): string[] =>
  existsSync(join(ROOT, dir))
    ? readdirSync(join(ROOT, dir))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `${dir}/${f}`)
    : [];
const packageReadmes = readdirSync(join(ROOT, "packages"))
  .map((p) => `packages/${p}/README.md`)
  .filter((f) => existsSync(join(ROOT, f)));
const DOCS = ["README.md", ...mdIn("docs"), ...packageReadmes];
const BLOCKS = DOCS.flatMap((doc) => codeBlocks(doc, read(doc)));
const CODE = BLOCKS.filter((b) => CODE_LANGS.has(b.lang));
const SNIPPET_FILES = readdirSync(join(ROOT, SNIPPETS))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => `${SNIPPETS}/${f}`);

describe("code blocks of the docs", () => {
  it("scans the README, docs/ and the package READMEs", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "docs/engine.md"]));
    expect(DOCS).toContain("packages/core/README.md");
    expect(CODE.length).toBeGreaterThanOrEqual(7);
  });

  it("marks every TypeScript/JavaScript block as a tested snippet", () => {
    expect(CODE.filter((b) => b.snippet === null).map((b) => `${b.where} (${b.lang})`)).toEqual([]);
  });

  it("marks only TypeScript/JavaScript blocks", () => {
    const marked = BLOCKS.filter((b) => b.snippet !== null && !CODE_LANGS.has(b.lang));
    expect(marked.map((b) => b.where)).toEqual([]);
  });

  it.each(CODE.filter((b) => b.snippet !== null).map((b) => [b.where, b.snippet!, b] as const))(
    "%s is exactly the docs region of %s",
    (_where, snippet, block) => {
      expect(existsSync(join(ROOT, snippet)), `${snippet} exists`).toBe(true);
      expect(block.code).toBe(docsRegion(snippet, read(snippet)));
    },
  );

  it.each(SNIPPET_FILES)("%s is shown in the docs and run by its test", (file) => {
    expect(CODE.filter((b) => b.snippet === file).length, "doc blocks").toBeGreaterThan(0);
    const test = file.replace(/\.ts$/, ".test.ts");
    expect(existsSync(join(ROOT, test)), `${test} exists`).toBe(true);
    const name = file.slice(SNIPPETS.length + 1).replace(/\.ts$/, ".js");
    expect(read(test)).toContain(`from "./${name}"`);
  });
});

describe("the snippet checker", () => {
  const doc = [
    "Text.",
    "<!-- snippet: examples/snippets/x.ts -->",
    "```ts",
    "import { a } from 'a';",
    "",
    "a();",
    "```",
    "```sh",
    "npx lpa ddl",
    "```",
    "````typescript",
    "b();",
    "````",
  ].join("\n");

  it("reads blocks, languages and markers", () => {
    expect(codeBlocks("d.md", doc)).toEqual([
      {
        where: "d.md:3",
        lang: "ts",
        code: "import { a } from 'a';\n\na();",
        snippet: "examples/snippets/x.ts",
      },
      { where: "d.md:8", lang: "sh", code: "npx lpa ddl", snippet: null },
      { where: "d.md:11", lang: "typescript", code: "b();", snippet: null },
    ]);
    expect(() => codeBlocks("d.md", "<!-- snippet: x.ts -->\n\n```ts\n```")).toThrow(/right above/);
    expect(() => codeBlocks("d.md", "```ts\nx")).toThrow(/unclosed/);
  });

  it("joins every docs region of a file, each dedented", () => {
    const source = [
      "// header",
      "// #region docs",
      "import { a } from 'a';",
      "",
      "// #endregion docs",
      "export function f(): void {",
      "  // #region docs",
      "  a();",
      "  // #endregion docs",
      "  hidden();",
      "}",
    ].join("\n");
    expect(docsRegion("x.ts", source)).toBe("import { a } from 'a';\n\na();");
    expect(() => docsRegion("x.ts", "a();")).toThrow(/no \/\/ #region docs/);
    expect(() => docsRegion("x.ts", "// #region docs\na();")).toThrow(/unclosed/);
  });

  it("tells a drifted block from its file", () => {
    const [block] = codeBlocks("d.md", doc);
    const source = "// #region docs\nimport { a } from 'a';\n\na(1);\n// #endregion docs";
    expect(block!.code).not.toBe(docsRegion("x.ts", source));
  });
});
