// Every key used in the sources is in both catalogs, and both catalogs have the same keys.
// Dynamic keys (`role.${role}`) are checked through their known values below.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../src/", import.meta.url).pathname;
const problems = [];
// A language's catalog: its main file (fr.json) and its parts (council.fr.json), no key twice.
function catalog(lang) {
  const merged = {};
  const names = readdirSync(join(root, "i18n")).filter((name) => name === `${lang}.json` || name.endsWith(`.${lang}.json`));
  for (const name of names.sort()) {
    for (const [key, text] of Object.entries(JSON.parse(readFileSync(join(root, "i18n", name), "utf8")))) {
      if (key in merged) problems.push(`${key} is in two ${lang} catalogs`);
      merged[key] = text;
    }
  }
  return merged;
}
const fr = catalog("fr");
const en = catalog("en");
for (const key of Object.keys(fr)) if (!(key in en)) problems.push(`en.json lacks ${key}`);
for (const key of Object.keys(en)) if (!(key in fr)) problems.push(`fr.json lacks ${key}`);
for (const [key, text] of Object.entries(fr)) {
  const a = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
  const b = [...(en[key] ?? "").matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
  if (key in en && a !== b) problems.push(`${key}: placeholders differ ({${a}} / {${b}})`);
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith(".ts")) yield path;
  }
}
const used = new Set();
for (const path of files(root)) {
  const source = readFileSync(path, "utf8");
  for (const m of source.matchAll(/\bt\(\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
  for (const m of source.matchAll(/\btn\(\s*"([a-z0-9_.]+)"/g)) { used.add(`${m[1]}.one`); used.add(`${m[1]}.other`); }
  for (const m of source.matchAll(/(?:emptyKey|Key)\s*[:=]\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
  for (const m of source.matchAll(/countsByRole\([^,]+,\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
}
const ROLES = ["habitant", "elu", "agent", "animateur", "conseil", "observateur"];
const METHODS = ["plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"];
const dynamic = {
  "role.": ROLES,
  "join.role_hint.": ROLES,
  "kind.": ["fiche_action", "synthese"],
  "live.": ["connecting", "open", "offline", "refused"],
  "sync.": ["connecting", "syncing", "synced", "offline", "refused", "synced_read_only", "offline_read_only"],
  "method.": METHODS,
  "method_help.": METHODS,
  "poll_status.": ["draft", "open", "closed", "published"],
  "proposal_status.": ["brouillon", "figee", "transmise", "en_instruction", "adoptee", "ajournee", "rejetee"],
  "council.group.": ["transmise", "en_instruction", "adoptee", "ajournee", "rejetee"],
  "instance.": ["cq", "cc", "cre", "cdj", "cd", "atp"],
  "polls.grades_": ["5", "6", "7"],
};
for (const unit of ["votes", "approvals", "dots", "points", "beats"]) {
  used.add(`results.unit.${unit}.one`);
  used.add(`results.unit.${unit}.other`);
}
for (const [prefix, values] of Object.entries(dynamic)) for (const v of values) used.add(prefix + v);
for (const key of used) if (!(key in fr)) problems.push(`used but missing: ${key}`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`i18n: ${Object.keys(fr).length} keys, ${used.size} used, fr and en agree`);
