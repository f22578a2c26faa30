// TypeDoc plugin: turns references to the behavioural specification into links.
//
// Comments and guides cite the contract as `attribution.md` §7.2, lifecycle.md §8.7,
// `ingest-and-storage.md` §3.5, 11.7, `spec/README.md`, "Output tables" or `docs/engine.md`,
// "Emission". The specification lives in docs/spec/ and the guides in docs/; both are TypeDoc
// project documents (typedoc.json `projectDocuments`). After the packages are merged, this plugin
// rewrites every such reference in comments, package READMEs and documents into a markdown link
// to the rendered document, with the anchor of the cited section.
//
// A reference that cannot be resolved is a warning, so `treatWarningsAsErrors` fails the build:
//   - `<name>.md §…` (or `spec/<name>.md`) where docs/spec/<name>.md is not a project document;
//   - a section number that no heading of that document carries (nor a parent section);
//   - a quoted heading ("Output tables") that the document does not have.
// TypeDoc itself then checks every generated anchor against the rendered page.
import { readFileSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Application, Converter, ReflectionKind } from "typedoc";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SPEC_DIR = resolve(ROOT, "docs/spec");
const GUIDE_DIR = resolve(ROOT, "docs");

// A section number: 7, 7.2, 1.7.5, A.10.4, optionally a range 1.8–1.10.
const SEC = String.raw`(?:[A-F]|\d{1,2})(?:\.\d{1,2})*(?!\w)`;
const SEC_RANGE = String.raw`${SEC}(?:\s?[–-]\s?${SEC})?`;
// What follows a file name: "§7.2", "§ 7.2", "§6, §8.5", "§3.5, 11.7", "§1.2, §1.8–1.10",
// or a quoted heading: `, "Output tables"`.
const TAIL = new RegExp(
  String.raw`^(\s*)(?:(§\s?${SEC_RANGE}(?:,\s?(?:§\s?${SEC_RANGE}|\d{1,2}\.\d{1,2}(?:\.\d{1,2})*(?![\d.]*\w)))*)|(,\s?"([^"\n]{1,80})"))`,
);
const ITEM = new RegExp(String.raw`(§\s?)?(${SEC})(?:\s?[–-]\s?${SEC})?`, "g");
// A file name as plain text; the prefix decides between a spec file and a guide.
const FILE_IN_TEXT =
  /(?<![\w./-])((?:\.\.\/)*(?:docs\/spec\/|spec\/|docs\/)?)([A-Za-z0-9_-]+\.md)\b/g;
// A file name as a whole inline code span.
const FILE_IN_CODE = /^`((?:\.\.\/)*(?:docs\/spec\/|spec\/|docs\/)?)([A-Za-z0-9_-]+\.md)`$/;
// The reference is the label of an existing markdown link: leave it alone.
const INSIDE_LINK_LABEL = /^[^[\]\n]*\]\(/;

/** Anchors as TypeDoc's default slugger makes them (lower case, punctuation dropped, numbered repeats). */
function slugger() {
  const seen = new Map();
  return (heading) => {
    let base = heading
      .trim()
      .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, "")
      .replace(/\s/g, "-")
      .replace(/--+/, "-");
    base = (base || "_").toLocaleLowerCase();
    if (!seen.has(base)) {
      seen.set(base, 0);
      return base;
    }
    let n = seen.get(base);
    let slug;
    do slug = `${base}-${++n}`;
    while (seen.has(slug));
    seen.set(base, n);
    seen.set(slug, 0);
    return slug;
  };
}

/** The text markdown-it keeps of a heading for its anchor: inline code and HTML dropped. */
function headingText(raw) {
  return raw
    .replace(/\s+#+\s*$/, "")
    .replace(/(`+)[^`]*?\1/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\\([!-/:-@[-`{-~])/g, "$1")
    .replace(/(\*\*|__|\*|_)(?=\S)([^*_]*?\S)\1/g, "$2");
}

/** Headings of a markdown file: anchor per section number and per heading text. */
function indexHeadings(file) {
  const slug = slugger();
  const sections = new Map();
  const titles = new Map();
  let fence = null;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1];
      else if (f[1][0] === fence[0] && f[1].length >= fence.length) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^ {0,3}#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const anchor = slug(headingText(h[1]));
    const plain = h[1].replace(/`/g, "").trim();
    titles.set(plain.toLowerCase(), anchor);
    // "7.2 Title", "7. Title", "A.1 Title", "9.4–9.7 Title", "Appendix B — …" is not numbered.
    const num = new RegExp(String.raw`^(${SEC})\.?(?:\s?[–-]\s?(${SEC}))?(?:\s|$)`).exec(plain);
    if (num) {
      const [, from, to] = num;
      if (!sections.has(from)) sections.set(from, anchor);
      if (to) sections.set(`${from}–${to}`, anchor);
    }
  }
  return { sections, titles };
}

function compareSections(a, b) {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const d =
      /^\d+$/.test(pa[i]) && /^\d+$/.test(pb[i]) ? pa[i] - pb[i] : pa[i].localeCompare(pb[i]);
    if (d !== 0) return d;
  }
  return 0;
}

/** The anchor of a section: the heading itself, a range heading holding it, or its parent. */
function sectionAnchor(doc, section) {
  for (let s = section; s; s = s.includes(".") ? s.slice(0, s.lastIndexOf(".")) : "") {
    if (doc.sections.has(s)) return doc.sections.get(s);
    for (const [key, anchor] of doc.sections) {
      const [from, to] = key.split("–");
      if (to && from.split(".").length === s.split(".").length) {
        if (compareSections(from, s) <= 0 && compareSections(s, to) <= 0) return anchor;
      }
    }
  }
  return undefined;
}

export function load(app) {
  const run = (project) => linkSpecReferences(app, project);
  app.on(Application.EVENT_PROJECT_REVIVE, run);
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    // In `packages` mode each package is converted with its own options (packageDir set) and
    // the documents only exist on the merged project: the REVIVE event above handles that one.
    if (!app.options.packageDir) run(context.project);
  });
}

function linkSpecReferences(app, project) {
  const logger = app.logger;
  // The documents of the site, by absolute path.
  const docs = new Map();
  for (const refl of project.getReflectionsByKind(ReflectionKind.Document)) {
    const path = project.files.getReflectionPath(refl);
    if (path) docs.set(resolve(path), refl);
  }
  const docPath = (refl) => resolve(project.files.getReflectionPath(refl) ?? "");
  const indexes = new Map();
  const documentFor = (dir, name) => {
    const path = resolve(dir, name);
    if (!docs.has(path)) return undefined;
    if (!indexes.has(path)) {
      indexes.set(path, {
        path,
        ...indexHeadings(path),
        target: project.files.registerAbsolute(path).target,
      });
    }
    return indexes.get(path);
  };
  const stats = {
    links: 0,
    inComments: 0,
    inDocuments: 0,
    reflections: new Set(),
    files: new Map(),
  };

  const where = (refl) =>
    refl.isDocument?.() ? `document ${refl.name}` : refl.getFriendlyFullName();

  /** Resolve one reference. Returns the parts of the link(s), or undefined to leave the text as it is. */
  function link(refl, prefix, name, label, tail) {
    const isGuide = prefix.endsWith("docs/") && !prefix.endsWith("spec/");
    // In a guide, a bare `lifecycle.md` without a section may mean the guide next to it.
    if (!prefix && !tail && refl.isDocument?.() && !docPath(refl).startsWith(SPEC_DIR))
      return undefined;
    const doc = documentFor(isGuide ? GUIDE_DIR : SPEC_DIR, name);
    const cited = `${prefix}${name}${tail?.[2] ? ` ${tail[2]}` : (tail?.[3] ?? "")}`;
    if (!doc) {
      // A bare `README.md` or `foo.md` may be anything; a cited section must be in the spec.
      if (tail?.[2] || (prefix.includes("spec/") && !isGuide)) {
        logger.warn(
          `[spec-links] ${where(refl)} cites "${cited}", but ${relative(ROOT, resolve(isGuide ? GUIDE_DIR : SPEC_DIR, name))} is not a document of the site (typedoc.json projectDocuments)`,
        );
      }
      return undefined;
    }
    const parts = [];
    const linkTo = (text, anchor) => {
      parts.push({ kind: "text", text: "[" });
      parts.push(...text);
      parts.push({ kind: "text", text: "](" });
      const rel = relative(ROOT, doc.path);
      parts.push({
        kind: "relative-link",
        text: anchor ? `${rel}#${anchor}` : rel,
        target: doc.target,
        targetAnchor: anchor,
      });
      parts.push({ kind: "text", text: ")" });
      stats.links++;
    };
    if (refl.isDocument?.()) stats.inDocuments++;
    else {
      stats.inComments++;
      stats.reflections.add(refl);
    }
    stats.files.set(basename(doc.path), (stats.files.get(basename(doc.path)) ?? 0) + 1);
    if (!tail) {
      linkTo(label, undefined);
      return parts;
    }
    if (tail[4] !== undefined) {
      const anchor = doc.titles.get(tail[4].toLowerCase());
      if (!anchor) {
        logger.warn(
          `[spec-links] ${where(refl)} cites "${cited}", but ${basename(doc.path)} has no heading "${tail[4]}"`,
        );
      }
      linkTo([...label, { kind: "text", text: tail[3] }], anchor);
      return parts;
    }
    // One link per cited section; the first one also covers the file name.
    let first = true;
    let last = 0;
    const list = tail[2];
    for (const m of list.matchAll(ITEM)) {
      const anchor = sectionAnchor(doc, m[2]);
      if (!anchor) {
        logger.warn(
          `[spec-links] ${where(refl)} cites "${prefix}${name} §${m[2]}", but ${basename(doc.path)} has no section ${m[2]}`,
        );
      }
      const between = list.slice(last, m.index);
      if (first) {
        linkTo([...label, { kind: "text", text: ` ${m[0]}` }], anchor);
        first = false;
      } else {
        parts.push({ kind: "text", text: between });
        linkTo([{ kind: "text", text: m[0] }], anchor);
      }
      last = m.index + m[0].length;
    }
    if (last < list.length) parts.push({ kind: "text", text: list.slice(last) });
    return parts;
  }

  function rewrite(refl, parts) {
    if (!parts?.length) return parts;
    const out = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.kind === "code") {
        const m = FILE_IN_CODE.exec(part.text);
        const next = parts[i + 1];
        const nextText = next?.kind === "text" ? next.text : "";
        if (!m || INSIDE_LINK_LABEL.test(nextText)) {
          out.push(part);
          continue;
        }
        const tail = TAIL.exec(nextText) ?? undefined;
        const linked = link(refl, m[1], m[2], [part], tail);
        if (!linked) {
          out.push(part);
          continue;
        }
        out.push(...linked);
        if (tail) {
          // The rest of the following text part still needs scanning.
          parts = [
            ...parts.slice(0, i + 1),
            { ...next, text: nextText.slice(tail[0].length) },
            ...parts.slice(i + 2),
          ];
        }
        continue;
      }
      if (part.kind !== "text") {
        out.push(part);
        continue;
      }
      const text = part.text;
      let pos = 0;
      let pending = "";
      for (const m of text.matchAll(FILE_IN_TEXT)) {
        if (m.index < pos) continue;
        const after = text.slice(m.index + m[0].length);
        if (
          INSIDE_LINK_LABEL.test(after) ||
          (after === "" && parts[i + 1]?.kind === "relative-link")
        )
          continue;
        const tail = TAIL.exec(after) ?? undefined;
        const linked = link(refl, m[1], m[2], [{ kind: "text", text: m[0] }], tail);
        if (!linked) continue;
        pending += text.slice(pos, m.index);
        out.push({ kind: "text", text: pending });
        pending = "";
        out.push(...linked);
        pos = m.index + m[0].length + (tail ? tail[0].length : 0);
      }
      out.push({ kind: "text", text: pending + text.slice(pos) });
    }
    // Adjacent text parts are merged, so a second pass sees the link labels whole.
    const merged = [];
    for (const p of out) {
      const prev = merged.at(-1);
      if (p.kind === "text" && prev?.kind === "text")
        merged[merged.length - 1] = { kind: "text", text: prev.text + p.text };
      else if (p.kind !== "text" || p.text !== "") merged.push(p);
    }
    return merged;
  }

  const rewriteComment = (refl, comment) => {
    if (!comment) return;
    comment.summary = rewrite(refl, comment.summary);
    for (const tag of comment.blockTags) tag.content = rewrite(refl, tag.content);
  };

  for (const refl of new Set([project, ...Object.values(project.reflections)])) {
    rewriteComment(refl, refl.comment);
    if (refl.readme) refl.readme = rewrite(refl, refl.readme);
    if (refl.isDocument?.()) refl.content = rewrite(refl, refl.content);
  }

  const perFile = [...stats.files].map(([f, n]) => `${f} ${n}`).join(", ");
  logger.info(
    `[spec-links] linked ${stats.inComments} references in the comments of ${stats.reflections.size} reflections and ${stats.inDocuments} in documents (${stats.links} links; per file: ${perFile})`,
  );
}
