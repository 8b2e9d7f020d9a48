#include "report/dossier_html.h"

#include <algorithm>
#include <map>

#include "kb/lang/printer.h"
#include "report/diff_report.h"
#include "report/dossier_format.h"

namespace verify {
namespace {

std::string esc(const std::string& s) { return markup_escape(s); }

// Wrapping everywhere (no horizontal scrolling) and an A4 print layout.
const char* const kStyle =
    "body{font-family:sans-serif;max-width:62em;margin:0 auto;padding:0 1em 2em;line-height:1.4;"
    "overflow-wrap:break-word}"
    "pre,code{white-space:pre-wrap;font-size:.92em}pre{overflow-wrap:anywhere}"
    "pre{background:#f4f4f4;padding:.5em;margin:.3em 0}"
    "table{border-collapse:collapse;margin:.5em 0;width:100%}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    ".banner{padding:.8em 1em;margin:1em 0;border:3px solid;font-size:1.15em}"
    ".banner.pass{background:#e3f6e3;border-color:#2e7d32}.banner.fail{background:#fde4e4;border-color:#c62828}"
    ".banner ul{font-size:.9em;margin:.4em 0 0}"
    ".subtitle{font-size:1.1em;margin-top:-.5em}"
    ".verdict{font-family:monospace;padding:0 .3em;font-weight:bold}"
    ".proved .verdict,.no-conflict .verdict,.ok .verdict{background:#cfc}.violated .verdict,.conflict .verdict,"
    ".translator-disagreement .verdict{background:#fcc}.unknown .verdict,.warning .verdict,.waived .verdict{background:#ffc}"
    "section.ob{border-top:1px solid #ddd;padding:.2em 0 .5em}"
    ".compact section.ob{border:0;padding:0;margin:.1em 0}"
    ".deciding{background:#fff3cd;padding:.3em .5em;border-left:4px solid #c62828}"
    "blockquote{margin:.3em 0 .3em 1em;padding-left:.6em;border-left:3px solid #999;font-style:italic}"
    "summary{cursor:pointer}"
    "@page{size:A4;margin:14mm}"
    "@media print{body{max-width:none;padding:0;font-size:10pt}a{color:inherit;text-decoration:none}"
    "h2,h3,h4{break-after:avoid}.banner,tr,.deciding{break-inside:avoid}"
    "details::details-content{content-visibility:visible;display:contents}}";

std::string strip(const std::string& file) {
  std::size_t slash = file.rfind('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

std::string file_of(const kb::Item& it) { return it.span.file ? strip(*it.span.file) : "<input>"; }

std::string reference_text(const kb::Guideline& g, int n) {
  for (const kb::Item& r : g.references)
    if (r.name == std::to_string(n)) return r.description;
  return "";
}

std::string smt2_link(const Obligation& o) {
  if (!o.query) return "";
  std::string f = esc(obligation_file(o.id));
  return "<a href=\"" + f + "\">" + f + "</a>";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "none" : out;
}

// "1 property", "2 properties".
std::string properties(std::size_t n) { return std::to_string(n) + (n == 1 ? " property" : " properties"); }

bool is_failure(const Obligation& o) { return needs_attention(o) && o.status != Status::Warning; }

// The guideline part a property encodes: the source file holding most of the
// rules it rests on (the first such file on a tie), else its own file.
std::string part_of(const kb::Guideline& g, const Obligation& o) {
  std::map<std::string, int> votes;
  for (kb::ItemRef r : o.rests_on)
    if (r.kind == kb::ItemKind::Rule) ++votes[file_of(g.item(r))];
  if (votes.empty()) return file_of(g.item(o.subject));
  return std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

std::string rests_on_html(const kb::Guideline& g, const Obligation& o) {
  if (o.rests_on.empty()) return "";
  std::string out = "<p>The verdict rests on these " + std::to_string(o.rests_on.size()) + " item versions:</p><ul>\n";
  for (kb::ItemRef ref : o.rests_on) {
    const kb::Item& it = g.item(ref);
    out += "<li><code>" + esc(rests_on_text(g, ref)) + "</code>";
    if (ref.kind == kb::ItemKind::Rule) {
      out += " (" + std::string(kb::strength_name(it.strength)) + " " + esc(it.action) + "): &ldquo;" + esc(it.source) +
             "&rdquo;";
      if (!it.cites.empty()) {
        out += " [refs";
        for (int n : it.cites) out += " " + std::to_string(n);
        out += "]";
      }
    } else if (ref.kind != kb::ItemKind::Property && ref.kind != kb::ItemKind::Action) {
      out += ": " + esc(it.description);
    }
    out += "</li>\n";
  }
  return out + "</ul>\n";
}

// One obligation in full: verdict, deciding facts first for a failure, the
// guideline quote, the formula, what it rests on, the witness, the SMT-LIB.
std::string full_html(const kb::Guideline& g, const Obligation& o) {
  const kb::Item& it = g.item(o.subject);
  std::string out = html_section(o.id, status_name(o.status));
  out += "<h4><span class=\"verdict\">" + std::string(status_name(o.status)) + "</span> " + esc(o.id) + "</h4>\n";
  if (o.witness && o.deciding) {
    out += "<p class=\"deciding\"><strong>" +
           std::string(o.kind == Kind::Conflict ? "Conflict for " : "Violated for ") +
           esc(deciding_text(g, *o.deciding)) + "</strong> (deciding facts: keep them and the verdict stays)</p>\n";
  }
  if (it.kind == kb::ItemKind::Property) out += "<blockquote>" + esc(it.description) + "</blockquote>\n";
  else out += "<p>" + esc(o.description) + "</p>\n";
  out += "<p><em>" + esc(o.message) + "</em> &mdash; <code>" + esc(g.versioned_id(it)) + "</code> at <code>" +
         esc(it.span.str()) + "</code></p>\n<pre>" + esc(kb::print_item(it)) + "</pre>\n";
  if (o.witness) {
    out += "<p>Witness patient: " + esc(kb::describe_patient(g, *o.witness)) + "</p>\n";
    if (std::string params = witness_params_text(o, g); !params.empty()) out += "<p>With " + esc(params) + ".</p>\n";
    std::string fired;
    for (int f : o.fired) fired += (fired.empty() ? "" : ", ") + g.versioned_id(g.rules[f]);
    out += "<p>Rules that fire for this patient: " + esc(fired.empty() ? "none" : fired) + "</p>\n";
  }
  out += rests_on_html(g, o);
  if (!o.evidence.empty()) {
    out += "<p>Evidence:</p><ul>\n";
    for (int n : o.evidence) out += "<li>" + std::to_string(n) + ": " + esc(reference_text(g, n)) + "</li>\n";
    out += "</ul>\n";
  }
  if (o.query) out += "<p>Re-check: " + smt2_link(o) + " (recorded answer in dossier.json)</p>\n";
  return out + "</section>\n";
}

// One obligation on one line (what holds, inside a collapsed list); a
// property's description is in its own section under the chosen readings.
std::string line_html(const Obligation& o) {
  return html_section(o.id, status_name(o.status)) + "<span class=\"verdict\">" + status_name(o.status) +
         "</span> <code>" + esc(o.id) + "</code> " + (o.kind == Kind::Property ? "" : esc(o.description)) +
         (o.query ? " &middot; " + smt2_link(o) : "") + "</section>\n";
}

// Findings in full, then what holds collapsed under `summary`.
std::string split_html(const kb::Guideline& g, const std::vector<const Obligation*>& obs, const std::string& summary) {
  std::string full, lines;
  std::size_t holding = 0;
  for (const Obligation* o : obs) {
    if (needs_attention(o->status) || o->status == Status::Waived) full += full_html(g, *o);
    else lines += line_html(*o), ++holding;
  }
  std::string out = "<p>" + summary + "</p>\n" + full;
  if (holding)
    out += "<details><summary>" + plural(holding, "check") + " that found nothing (one line each)</summary>\n"
           "<div class=\"compact\">\n" + lines + "</div></details>\n";
  return out;
}

std::string counts_text(const Report& r) {
  return std::to_string(r.count(Status::Proved)) + " proved, " + std::to_string(r.count(Status::Violated)) +
         " violated, " + std::to_string(r.count(Status::Conflict)) + " conflicts, " +
         std::to_string(r.count(Status::Unknown)) + " unknown, " + std::to_string(r.count(Status::Disagreement)) +
         " translator disagreements, " + std::to_string(r.count(Status::Warning)) + " warnings";
}

std::string banner_html(const Report& r, const kb::Guideline& g) {
  std::vector<const Obligation*> failures;
  std::size_t n_properties = 0, actions = 0, warnings = 0;
  for (const Obligation& o : r.obligations) {
    if (is_failure(o)) failures.push_back(&o);
    if (o.reading) continue;
    n_properties += o.kind == Kind::Property;
    actions += o.kind == Kind::Conflict;
    warnings += o.status == Status::Warning;
  }
  std::string lint_note = warnings ? "; " + plural(warnings, "lint warning") + " (see Lints)" : "";
  if (failures.empty())
    return "<div class=\"banner pass\" id=\"verdict\"><strong>Verdict: all " + properties(n_properties) +
           " proved</strong> and no action both offered and avoided (" + plural(actions, "action") +
           " checked) for every valid patient" + lint_note + ".</div>\n";
  std::string out = "<div class=\"banner fail\" id=\"verdict\"><strong>Verdict: NOT VERIFIED, " +
                    plural(failures.size(), "failure") + "</strong>" + lint_note + ":<ul>\n";
  for (const Obligation* o : failures) {
    out += "<li><a href=\"#" + esc(o->id) + "\">" + esc(o->id) + "</a>: " + status_name(o->status);
    if (o->deciding) out += " for " + esc(deciding_text(g, *o->deciding));
    out += "</li>\n";
  }
  return out + "</ul></div>\n";
}

std::string meta_html(const Report& r, const Subject& s, const std::string& date, const DossierInput& in) {
  std::string out = "<table>\n" + html_hash_row(s.release_hash);
  out += "<tr><th>Checked</th><td>" + esc(s.name) + "</td></tr>\n";
  if (in.release) {
    const ReleaseMeta& m = *in.release;
    out += "<tr><th>Released by</th><td>" + esc(m.author) + "</td></tr>\n";
    out += "<tr><th>Released (UTC)</th><td>" + esc(m.sealed) + "</td></tr>\n";
    out += "<tr><th>Reason</th><td>" + esc(m.reason.empty() ? "(none given)" : m.reason) + "</td></tr>\n";
    out += "<tr><th>Previous release</th><td>" + esc(m.previous.empty() ? "none (first release)" : m.previous) +
           "</td></tr>\n";
  }
  out += "<tr><th>Tool</th><td>kb-verify " + esc(s.tool_version) + "</td></tr>\n";
  out += "<tr><th>Solver</th><td>Z3 " + esc(r.z3_version) + " (re-check: z3 and cvc5)</td></tr>\n";
  out += "<tr><th>Dossier written (UTC)</th><td>" + esc(date) + "</td></tr>\n";
  out += "<tr><th>Obligations</th><td>" + counts_text(r) + "</td></tr>\n";
  return out + "</table>\n";
}

std::string values_text(const kb::FactType& t) {
  if (t.kind == kb::Type::Bool) return "true or false";
  if (t.kind == kb::Type::Int) return std::to_string(t.lo) + ".." + std::to_string(t.hi);
  std::string out;
  for (const std::string& v : t.values) out += (out.empty() ? "" : ", ") + v;
  return "one of " + out;
}

std::string scope_html(const kb::Guideline& g) {
  std::string out = "<h2 id=\"scope\">Scope and assumptions</h2>\n<p>Every claim below is about every <em>valid "
                    "patient</em>: one value per fact within its range, satisfying every domain constraint. "
                    "Properties are proved for every allowed value of each parameter; the questions are read as "
                    "chosen.</p>\n";
  out += "<h3 id=\"scope-facts\">Facts (" + std::to_string(g.facts.size()) + ")</h3>\n<table><tr><th>fact</th>"
         "<th>values</th><th>meaning</th></tr>\n";
  for (const kb::Item& f : g.facts)
    out += "<tr><td><code>" + esc(g.versioned_id(f)) + "</code></td><td>" + esc(values_text(f.fact_type)) + "</td><td>" +
           esc(f.description) + "</td></tr>\n";
  out += "</table>\n<h3 id=\"scope-constraints\">Domain constraints (" + std::to_string(g.constraints.size()) +
         ")</h3>\n<table><tr><th>constraint</th><th>every valid patient satisfies</th><th>meaning</th></tr>\n";
  for (const kb::Item& c : g.constraints)
    out += "<tr><td><code>" + esc(g.versioned_id(c)) + "</code></td><td><code>" + esc(kb::print_expr(*c.expr)) +
           "</code></td><td>" + esc(c.description) + "</td></tr>\n";
  out += "</table>\n<h3 id=\"scope-params\">Parameters (" + std::to_string(g.params.size()) +
         ")</h3>\n<table><tr><th>parameter</th><th>release value</th><th>allowed (proofs cover all)</th><th>meaning</th></tr>\n";
  for (const kb::Item& p : g.params)
    out += "<tr><td><code>" + esc(g.versioned_id(p)) + "</code></td><td>" + std::to_string(p.param_value) + "</td><td>" +
           std::to_string(p.param_lo) + ".." + std::to_string(p.param_hi) + "</td><td>" + esc(p.description) +
           "</td></tr>\n";
  out += "</table>\n<h3 id=\"scope-questions\">Readings of ambiguous sentences (" + std::to_string(g.questions.size()) +
         ")</h3>\n<table><tr><th>question</th><th>chosen reading</th><th>other readings (checked, see Other readings)</th></tr>\n";
  for (const kb::Item& q : g.questions) {
    std::string others;
    for (std::size_t a = 0; a < q.fact_type.values.size(); ++a)
      if (static_cast<int>(a) != q.chosen_index)
        others += "<li><code>" + esc(q.fact_type.values[a]) + "</code>: " + esc(q.alternative_texts[a]) + "</li>";
    std::size_t c = static_cast<std::size_t>(q.chosen_index);
    out += "<tr><td><code>" + esc(g.versioned_id(q)) + "</code>: " + esc(q.description) + "</td><td><code>" +
           esc(q.chosen) + "</code>: " + esc(q.alternative_texts.at(c)) + " <em>Because: " + esc(q.rationale) +
           "</em></td><td><ul>" + others + "</ul></td></tr>\n";
  }
  out += "</table>\n<details><summary>Definitions (" + std::to_string(g.defines.size()) +
         ", the vocabulary of the formulas)</summary><table>\n";
  for (const kb::Item& d : g.defines)
    out += "<tr><td><code>" + esc(g.versioned_id(d)) + "</code></td><td><code>" + esc(kb::print_expr(*d.expr)) +
           "</code></td><td>" + esc(d.description) + "</td></tr>\n";
  return out + "</table></details>\n";
}

// Properties under the chosen readings, grouped by guideline part.
std::map<std::string, std::vector<const Obligation*>> property_parts(const Report& r, const kb::Guideline& g) {
  std::map<std::string, std::vector<const Obligation*>> parts;
  for (const Obligation& o : r.obligations)
    if (o.kind == Kind::Property && !o.reading) parts[part_of(g, o)].push_back(&o);
  return parts;
}

std::string part_id(std::size_t n) { return "part-" + std::to_string(n + 1); }

std::string part_summary(const std::vector<const Obligation*>& obs) {
  std::size_t failed = 0;
  for (const Obligation* o : obs) failed += is_failure(*o);
  return properties(obs.size()) + (failed ? ", " + std::to_string(failed) + " failing" : ", all proved");
}

std::string changes_html(const Diff& d, const kb::Guideline& after) {
  std::string out = "<h2 id=\"changes\">Changes since the previous release (" + esc(d.before_name) + " &rarr; " +
                    esc(d.after_name) + ")</h2>\n";
  std::size_t changed = 0, moved = 0;
  for (const AnswerChange& a : d.answers) changed += a.status != AnswerStatus::Unchanged;
  for (const PropertyChange& p : d.properties) moved += p.change != PropertyMove::Unchanged;
  out += "<p><strong>" + std::to_string(changed) + " of " + std::to_string(d.answers.size()) +
         " answers (action and strength) change for some valid patient</strong>; the other " +
         std::to_string(d.answers.size() - changed) + " are proved identical for every valid patient. " +
         plural(d.items.size(), "item") + " changed; " + properties(moved) + " changed verdict.</p>\n";
  out += "<h3 id=\"changes-items\">Changed items</h3>\n<table><tr><th>change</th><th>item</th><th>versions</th>"
         "<th>text</th></tr>\n";
  for (const ItemChange& i : d.items)
    out += "<tr><td>" + std::string(item_change_name(i.change)) + "</td><td>" + kb::item_kind_name(i.kind) + " <code>" +
           esc(i.name) + "</code></td><td>" + esc(i.before.empty() ? "(new)" : i.before) + " &rarr; " +
           esc(i.after.empty() ? "(retired)" : i.after) + "</td><td><details><summary>line diff</summary><pre>" +
           esc(i.text_diff) + "</pre></details></td></tr>\n";
  out += "</table>\n<h3 id=\"changes-answers\">Answers that change</h3>\n";
  if (!changed) out += "<p>None: every patient gets the same advice (proved).</p>\n";
  else
    out += "<table><tr><th>action, strength</th><th>before &rarr; after</th><th>affected patients</th>"
           "<th>witness</th><th>SMT-LIB</th></tr>\n";
  for (const AnswerChange& a : d.answers) {
    if (a.status == AnswerStatus::Unchanged) continue;
    out += "<tr><td><code>" + esc(a.action) + "</code> " + kb::atom_name(a.atom) + "</td>";
    if (a.status == AnswerStatus::Unknown || !a.patient_after) {
      out += "<td colspan=\"4\">" + std::string(answer_status_name(a.status)) + ": " + esc(a.message) + "</td></tr>\n";
      continue;
    }
    out += "<td>" + std::string(a.answer_before ? "yes" : "no") + " &rarr; " + (a.answer_after ? "yes" : "no") +
           (a.status == AnswerStatus::Disagreement ? " (translator disagreement)" : "") + "</td><td>";
    if (a.deciding) out += "<strong>" + esc(deciding_text(after, *a.deciding)) + "</strong> gets this change. ";
    if (!a.exact.empty()) out += "Exactly the affected patients: " + esc(boxes_text(after, a.exact)) + ". ";
    out += "Every affected patient has (necessary, not sufficient): " + esc(fact_ranges_text(after, a.ranges)) + ".</td>";
    std::string rules = "rules before: " + join(a.rules_before) + "; after: " + join(a.rules_after);
    out += "<td>" + esc(kb::describe_patient(after, *a.patient_after)) + " <em>(" + esc(rules) + ")</em></td>";
    out += a.smt2.empty() ? "<td></td>" : "<td><a href=\"" + esc(change_file(a)) + "\">" + esc(change_file(a)) + "</a></td>";
    out += "</tr>\n";
  }
  if (changed) out += "</table>\n";
  out += "<h3 id=\"changes-properties\">Property verdicts</h3>\n";
  if (!moved) out += "<p>Every property has the same verdict on both sides.</p>\n";
  else {
    out += "<table><tr><th>property</th><th>before</th><th>after</th><th>change</th></tr>\n";
    for (const PropertyChange& p : d.properties)
      if (p.change != PropertyMove::Unchanged)
        out += "<tr><td><code>" + esc(p.id) + "</code></td><td>" + (p.before ? status_name(*p.before) : "absent") +
               "</td><td>" + (p.after ? status_name(*p.after) : "absent") + "</td><td>" + property_move_name(p.change) +
               "</td></tr>\n";
    out += "</table>\n";
  }
  return out;
}

const char* const kRecheckText =
    "<h2 id=\"recheck\">Re-checking this dossier</h2>\n<p>Every file here is listed in <code>MANIFEST.sha256</code> "
    "(check it with <code>sha256sum -c MANIFEST.sha256</code>). Each <code>obligations/*.smt2</code> file is plain "
    "SMT-LIB 2 that any solver decides on its own (<code>z3 FILE</code>, <code>cvc5 FILE</code>); the answer "
    "kb-verify recorded is in <code>dossier.json</code>'s <code>smt2</code> map. <code>kb-verify --recheck "
    "DIR</code> checks the manifest, re-parses the source in <code>dossier.json</code>, recomputes the release hash, "
    "regenerates every obligation file byte for byte and runs z3 and cvc5 on all of them. Without a signature, a "
    "re-check shows that the files are consistent, not who wrote them: compare the release hash with one obtained "
    "independently (<code>kb releases</code>), or re-check a signed dossier with <code>--trust KEY.pub</code>. "
    "The <code>changes/*.smt2</code> files (sat: the answer changes) are covered by the manifest only.</p>\n";

}  // namespace

std::string change_file(const AnswerChange& c) {
  std::string name = c.action + "." + kb::atom_name(c.atom);
  for (char& ch : name)
    if (ch == '/' || ch == '\\' || ch == ':') ch = '.';
  return "changes/" + name + ".smt2";
}

std::string dossier_html(const Report& r, const kb::Guideline& g, const Subject& s, const std::string& date,
                         const DossierInput& in) {
  const std::string title = in.title.empty() ? s.name : in.title;
  std::vector<const Obligation*> conflicts, lints, others;
  for (const Obligation& o : r.obligations) {
    if (o.reading) others.push_back(&o);
    else if (o.kind == Kind::Conflict) conflicts.push_back(&o);
    else if (o.kind != Kind::Property) lints.push_back(&o);
  }
  auto parts = property_parts(r, g);

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>Proof dossier: " +
                    esc(title) + ", " + esc(s.name) + "</title>\n<style>" + kStyle + "</style></head><body>\n";
  out += banner_html(r, g);
  out += "<h1>" + esc(title) + "</h1>\n<p class=\"subtitle\">Proof dossier of " + esc(s.name) +
         " &middot; release hash <code>" + esc(s.release_hash) + "</code></p>\n";
  out += meta_html(r, s, date, in);

  out += "<nav><h2>Contents</h2><ol>\n<li><a href=\"#verdict\">Verdict</a></li>\n"
         "<li><a href=\"#scope\">Scope and assumptions</a></li>\n<li><a href=\"#properties\">Properties</a><ol>\n";
  std::size_t n = 0;
  for (const auto& [part, obs] : parts)
    out += "<li><a href=\"#" + part_id(n++) + "\">" + esc(part) + "</a> (" + part_summary(obs) + ")</li>\n";
  out += "</ol></li>\n<li><a href=\"#conflicts\">Conflicts</a></li>\n<li><a href=\"#lints\">Lints</a></li>\n";
  if (!others.empty()) out += "<li><a href=\"#other-readings\">Other readings</a></li>\n";
  if (in.diff) out += "<li><a href=\"#changes\">Changes since the previous release</a></li>\n";
  out += "<li><a href=\"#recheck\">Re-checking this dossier</a></li>\n</ol></nav>\n";

  out += scope_html(g);

  out += "<h2 id=\"properties\">Properties</h2>\n<p>Grouped by the part of the guideline they encode: the source "
         "file of the rules each property rests on. Each shows the guideline statement it protects, its formula, "
         "its verdict and every item version the verdict rests on.</p>\n";
  n = 0;
  for (const auto& [part, obs] : parts) {
    out += "<h3 id=\"" + part_id(n++) + "\">" + esc(part) + " <small>(" + part_summary(obs) + ")</small></h3>\n";
    for (const Obligation* o : obs) out += full_html(g, *o);
  }

  std::size_t conflicting = 0;
  for (const Obligation* o : conflicts) conflicting += needs_attention(o->status);
  out += "<h2 id=\"conflicts\">Conflicts</h2>\n" +
         split_html(g, conflicts,
                    plural(conflicts.size(), "action") + " checked: " +
                        (conflicting ? plural(conflicting, "conflict or undecided check") + " (below)"
                                     : "no valid patient gets any of them both offered and avoided (proved)") +
                        ".");

  std::size_t findings = 0, waived = 0;
  for (const Obligation* o : lints) findings += needs_attention(o->status), waived += o->status == Status::Waived;
  out += "<h2 id=\"lints\">Lints</h2>\n" +
         split_html(g, lints,
                    plural(lints.size(), "lint check") + " (dead, redundant, vacuous, rule-free, uncovered, "
                    "restating rules and properties): " + plural(findings, "finding") + ", " +
                        std::to_string(waived) + " waived.");

  if (!others.empty()) {
    std::size_t failing = 0;
    for (const Obligation* o : others) failing += needs_attention(o->status);
    out += "<h2 id=\"other-readings\">Other readings</h2>\n" +
           split_html(g, others,
                      "The properties and conflicts checked again under every reading of a question other than "
                      "the chosen one (reported, never a failure of this release): " +
                          plural(others.size(), "check") + ", " + std::to_string(failing) +
                          " failing under another reading.");
  }
  if (in.diff) out += changes_html(*in.diff, g);
  out += kRecheckText;
  return out + "</body></html>\n";
}

}  // namespace verify
