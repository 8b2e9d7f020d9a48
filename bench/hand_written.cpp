#include "bench/hand_written.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace kb::bench {
namespace {

// The guideline's parameters, written in as constants.
constexpr std::int64_t kMinResponseMonths = 3;           // min_response_months
constexpr std::int64_t kMinMonthlyZoledronateDoses = 3;  // min_monthly_zoledronate_doses

enum Rule {
  MDT_OFFER, MDT_CONTINUE_SYSTEMIC, MDT_COUNSEL, SELECT_COMPLETE_STAGING, SELECT_PET_STAGING,
  SELECT_BIOPSY, SELECT_IMAGING_HISTORY, SELECT_TUMOUR_BOARD, SELECT_AVOID_MDT_WITHOUT_RESPONSE,
  TIMING_DOCUMENT_RESPONSE, OLIGOPROGRESSION_SBRT, OLIGOPROGRESSION_CONTINUE_SYSTEMIC,
  FAVOURABLE_PROGNOSIS_NOTE,
  SYSTEMIC_HR_POS_HER2_NEG, SYSTEMIC_HER2_POS, SYSTEMIC_TNBC_CHEMOTHERAPY, SYSTEMIC_TNBC_IMMUNOTHERAPY,
  SYSTEMIC_TNBC_NO_IMMUNOTHERAPY_PDL1_NEGATIVE, SYSTEMIC_BRCA_PARP,
  MODALITY_SURGERY, MODALITY_SBRT, MODALITY_ABLATION, MODALITY_SIRT,
  BONE_MODIFYING_AGENT, BONE_ZOLEDRONATE_12_WEEKLY, BONE_DENOSUMAB_4_WEEKLY, BONE_ORTHOPAEDIC_EVALUATION,
  BONE_RT_SINGLE_FRACTION,
  PRIMARY_AVOID_ASYMPTOMATIC, PRIMARY_CONSIDER_EXCEPTION,
  CNS_STEREOTACTIC_RADIOTHERAPY, CNS_MAINTAIN_SYSTEMIC, CNS_HER2_SWITCH,
  kRuleCount
};

struct RuleSpec {
  const char* name;
  const char* action;
  Strength strength;
  std::uint8_t bit;
};

constexpr Strength R = Strength::Recommend, C = Strength::Consider, A = Strength::Avoid;

constexpr RuleSpec kRules[kRuleCount] = {
    {"MDT-OFFER", "mdt", C, kConsidered},
    {"MDT-CONTINUE-SYSTEMIC", "continue_systemic_therapy", R, kRecommended},
    {"MDT-COUNSEL", "counselling_os_unproven", R, kRecommended},
    {"SELECT-COMPLETE-STAGING", "complete_staging", R, kRecommended},
    {"SELECT-PET-STAGING", "pet_staging", C, kConsidered},
    {"SELECT-BIOPSY", "biopsy", R, kRecommended},
    {"SELECT-IMAGING-HISTORY", "imaging_history_review", R, kRecommended},
    {"SELECT-TUMOUR-BOARD", "tumour_board", R, kRecommended},
    {"SELECT-AVOID-MDT-WITHOUT-RESPONSE", "mdt", A, kAvoided},
    {"TIMING-DOCUMENT-RESPONSE", "document_response", R, kRecommended},
    {"OLIGOPROGRESSION-SBRT", "sbrt_oligoprogression", C, kConsidered},
    {"OLIGOPROGRESSION-CONTINUE-SYSTEMIC", "continue_systemic_therapy", R, kRecommended},
    {"FAVOURABLE-PROGNOSIS-NOTE", "note_favourable_prognosis", C, kConsidered},
    {"SYSTEMIC-HR-POS-HER2-NEG", "endocrine_cdk46", R, kRecommended},
    {"SYSTEMIC-HER2-POS", "anti_her2_therapy", R, kRecommended},
    {"SYSTEMIC-TNBC-CHEMOTHERAPY", "chemotherapy", R, kRecommended},
    {"SYSTEMIC-TNBC-IMMUNOTHERAPY", "immunotherapy", C, kConsidered},
    {"SYSTEMIC-TNBC-NO-IMMUNOTHERAPY-PDL1-NEGATIVE", "immunotherapy", A, kAvoided},
    {"SYSTEMIC-BRCA-PARP", "parp_inhibitor", C, kConsidered},
    {"MODALITY-SURGERY", "metastasectomy", C, kConsidered},
    {"MODALITY-SBRT", "sbrt", C, kConsidered},
    {"MODALITY-ABLATION", "image_guided_ablation", C, kConsidered},
    {"MODALITY-SIRT", "sirt", C, kConsidered},
    {"BONE-MODIFYING-AGENT", "bone_modifying_agent", R, kRecommended},
    {"BONE-ZOLEDRONATE-12-WEEKLY", "bma_12_weekly", C, kConsidered},
    {"BONE-DENOSUMAB-4-WEEKLY", "bma_12_weekly", A, kAvoided},
    {"BONE-ORTHOPAEDIC-EVALUATION", "orthopaedic_evaluation", R, kRecommended},
    {"BONE-RT-SINGLE-FRACTION", "bone_rt_single_8gy", C, kConsidered},
    {"PRIMARY-AVOID-ASYMPTOMATIC", "primary_surgery", A, kAvoided},
    {"PRIMARY-CONSIDER-EXCEPTION", "primary_surgery", C, kConsidered},
    {"CNS-STEREOTACTIC-RADIOTHERAPY", "cns_srs", R, kRecommended},
    {"CNS-MAINTAIN-SYSTEMIC", "continue_systemic_therapy", R, kRecommended},
    {"CNS-HER2-SWITCH", "cns_systemic_switch", R, kRecommended},
};

// Everything looked up by name at start-up.
struct Layout {
  int age, subtype, hr_positive, brca_mutated, pdl1_positive;
  int bone_lesions, node_lesions, lung_lesions, liver_lesions, cns_lesions, other_lesions;
  int staging_complete, pet_staging_done, biopsy_feasible, biopsy_done, imaging_history_complete,
      tumour_board_done;
  int response_months, extracranial_stable, oligoprogression, cns_progression, cns_progression_limited,
      intracranial_progressions,
      on_trastuzumab_pertuzumab, excellent_response;
  int lesions_resectable, ablation_amenable;
  int primary_intact, primary_symptomatic;
  int bone_pain, bone_complicated, significant_bone_lesion, bma_agent, zoledronate_monthly_doses;
  // Enum values.
  std::int64_t hr_pos_her2_neg, her2_pos, triple_negative;
  std::int64_t zoledronate, denosumab;
  // Per hand-written rule: its index in Guideline::rules and its action's index.
  int rule[kRuleCount], action[kRuleCount];
  std::size_t rules, actions;
};

Layout L;

int fact(const Guideline& g, const std::string& name) {
  int i = g.fact_index(name);
  if (i < 0) throw std::runtime_error("the guideline has no fact '" + name + "'");
  return i;
}

std::int64_t enum_value(const Guideline& g, int fact_index, const std::string& value) {
  const Item& f = g.facts[fact_index];
  for (std::size_t v = 0; v < f.fact_type.values.size(); ++v)
    if (f.fact_type.values[v] == value) return static_cast<std::int64_t>(v);
  throw std::runtime_error("fact '" + f.name + "' has no value '" + value + "'");
}

void check_param(const Guideline& g, const std::string& name, std::int64_t value) {
  for (const Item& p : g.params) {
    if (p.name != name) continue;
    if (p.param_value != value)
      throw std::runtime_error("param " + name + " = " + std::to_string(p.param_value) +
                               " in the guideline, but the hand-written rules use " + std::to_string(value));
    return;
  }
  throw std::runtime_error("the guideline has no param '" + name + "'");
}

}  // namespace

void hand_written_init(const Guideline& g) {
  Layout l{};
#define KB_FACT(name) l.name = fact(g, #name)
  KB_FACT(age); KB_FACT(subtype); KB_FACT(hr_positive); KB_FACT(brca_mutated); KB_FACT(pdl1_positive);
  KB_FACT(bone_lesions); KB_FACT(node_lesions); KB_FACT(lung_lesions); KB_FACT(liver_lesions);
  KB_FACT(cns_lesions); KB_FACT(other_lesions);
  KB_FACT(staging_complete); KB_FACT(pet_staging_done); KB_FACT(biopsy_feasible); KB_FACT(biopsy_done);
  KB_FACT(imaging_history_complete); KB_FACT(tumour_board_done);
  KB_FACT(response_months); KB_FACT(extracranial_stable); KB_FACT(oligoprogression); KB_FACT(cns_progression);
  KB_FACT(cns_progression_limited);
  KB_FACT(intracranial_progressions); KB_FACT(on_trastuzumab_pertuzumab); KB_FACT(excellent_response);
  KB_FACT(lesions_resectable); KB_FACT(ablation_amenable);
  KB_FACT(primary_intact); KB_FACT(primary_symptomatic);
  KB_FACT(bone_pain); KB_FACT(bone_complicated); KB_FACT(significant_bone_lesion); KB_FACT(bma_agent);
  KB_FACT(zoledronate_monthly_doses);
#undef KB_FACT
  l.hr_pos_her2_neg = enum_value(g, l.subtype, "hr_pos_her2_neg");
  l.her2_pos = enum_value(g, l.subtype, "her2_pos");
  l.triple_negative = enum_value(g, l.subtype, "triple_negative");
  l.zoledronate = enum_value(g, l.bma_agent, "zoledronate");
  l.denosumab = enum_value(g, l.bma_agent, "denosumab");
  check_param(g, "min_response_months", kMinResponseMonths);
  check_param(g, "min_monthly_zoledronate_doses", kMinMonthlyZoledronateDoses);

  if (g.rules.size() != kRuleCount)
    throw std::runtime_error("the guideline has " + std::to_string(g.rules.size()) + " rules, the hand-written baseline " +
                             std::to_string(kRuleCount));
  for (int k = 0; k < kRuleCount; ++k) {
    const RuleSpec& s = kRules[k];
    l.rule[k] = g.rule_index(s.name);
    if (l.rule[k] < 0) throw std::runtime_error("the guideline has no rule " + std::string(s.name));
    const Item& r = g.rules[l.rule[k]];
    if (r.action != s.action || r.strength != s.strength)
      throw std::runtime_error("rule " + std::string(s.name) + " gives '" + strength_name(r.strength) + " " + r.action +
                               "' in the guideline, but '" + strength_name(s.strength) + " " + s.action +
                               "' in the hand-written baseline");
    l.action[k] = g.action_index(s.action);
    if (l.action[k] < 0) throw std::runtime_error("the guideline has no action " + std::string(s.action));
  }
  l.rules = g.rules.size();
  l.actions = g.actions.size();
  L = l;
}

void hand_written(const Patient& p, Outcome& out) {
  const Layout& l = L;
  out.fired.assign(l.rules, 0);
  out.actions.assign(l.actions, 0);
  auto fire = [&](Rule k) {
    out.fired[l.rule[k]] = 1;
    out.actions[l.action[k]] |= kRules[k].bit;
  };
  auto f = [&](int index) { return p[index]; };

  // Definitions (10_patient.kb).
  const std::int64_t lesion_count = f(l.bone_lesions) + f(l.node_lesions) + f(l.lung_lesions) +
                                    f(l.liver_lesions) + f(l.cns_lesions) + f(l.other_lesions);
  const bool bone_mets = f(l.bone_lesions) >= 1;
  const bool node_mets = f(l.node_lesions) >= 1;
  const bool lung_mets = f(l.lung_lesions) >= 1;
  const bool liver_mets = f(l.liver_lesions) >= 1;
  const bool cns_mets = f(l.cns_lesions) >= 1;
  const bool other_visceral_mets = f(l.other_lesions) >= 1;
  const bool visceral_mets = lung_mets || liver_mets || cns_mets || other_visceral_mets;
  const bool bone_only = bone_mets && !(node_mets || visceral_mets);
  const bool non_visceral = (bone_mets || node_mets) && !visceral_mets;
  const std::int64_t subtype = f(l.subtype);
  const bool her2_negative = subtype != l.her2_pos;
  const bool tnbc = subtype == l.triple_negative;
  const bool oligometastatic = lesion_count >= 1 && lesion_count <= 5;
  const bool tumour_board_done = f(l.tumour_board_done);
  const std::int64_t response_months = f(l.response_months);
  const bool biopsy_criterion_met = f(l.biopsy_done) || !f(l.biopsy_feasible);
  const bool disease_controlled = f(l.extracranial_stable) && !f(l.cns_progression);
  const bool mdt_candidate = oligometastatic && f(l.staging_complete) && biopsy_criterion_met &&
                             f(l.imaging_history_complete) && response_months >= kMinResponseMonths &&
                             disease_controlled && tumour_board_done;
  const bool oligoprogression_sbrt_candidate = f(l.oligoprogression) && oligometastatic && f(l.staging_complete) &&
                                               biopsy_criterion_met && f(l.imaging_history_complete) &&
                                               response_months >= kMinResponseMonths && tumour_board_done;
  const bool systemic_control_established = response_months >= kMinResponseMonths && disease_controlled;
  const bool fav_hr_non_visceral = subtype == l.hr_pos_her2_neg && (bone_only || non_visceral);
  const bool fav_young = f(l.age) < 55;
  const bool fav_few_lesions = lesion_count >= 1 && lesion_count <= 2;
  const bool fav_bone_node = non_visceral;
  const bool fav_durable_pfs = f(l.oligoprogression) && response_months > 11;
  const bool favourable_prognosis =
      fav_hr_non_visceral || fav_young || fav_few_lesions || fav_bone_node || fav_durable_pfs;
  const bool asymptomatic_intact_primary = f(l.primary_intact) && !f(l.primary_symptomatic);
  const bool primary_surgery_exception =
      bone_only || f(l.hr_positive) || her2_negative || f(l.age) < 55 || f(l.excellent_response);
  const bool cns_oligoprogression = f(l.cns_progression) && f(l.cns_progression_limited) && f(l.extracranial_stable);
  const bool cns_switch_indicated = cns_oligoprogression && subtype == l.her2_pos &&
                                    f(l.on_trastuzumab_pertuzumab) && f(l.intracranial_progressions) >= 2;

  // 30_selection_mdt.kb
  if (mdt_candidate) fire(MDT_OFFER);
  if (mdt_candidate) fire(MDT_CONTINUE_SYSTEMIC);
  if (mdt_candidate) fire(MDT_COUNSEL);
  if (oligometastatic && !f(l.staging_complete)) fire(SELECT_COMPLETE_STAGING);
  if (oligometastatic && !f(l.pet_staging_done)) fire(SELECT_PET_STAGING);
  if (oligometastatic && f(l.biopsy_feasible) && !f(l.biopsy_done)) fire(SELECT_BIOPSY);
  if (oligometastatic && !f(l.imaging_history_complete)) fire(SELECT_IMAGING_HISTORY);
  if (!tumour_board_done) fire(SELECT_TUMOUR_BOARD);
  if (oligometastatic && response_months < kMinResponseMonths) fire(SELECT_AVOID_MDT_WITHOUT_RESPONSE);
  if (oligometastatic && response_months < kMinResponseMonths) fire(TIMING_DOCUMENT_RESPONSE);
  if (oligoprogression_sbrt_candidate) fire(OLIGOPROGRESSION_SBRT);
  if (oligoprogression_sbrt_candidate) fire(OLIGOPROGRESSION_CONTINUE_SYSTEMIC);
  if ((mdt_candidate || oligoprogression_sbrt_candidate) && favourable_prognosis) fire(FAVOURABLE_PROGNOSIS_NOTE);
  // 40_systemic.kb
  if (subtype == l.hr_pos_her2_neg) fire(SYSTEMIC_HR_POS_HER2_NEG);
  if (subtype == l.her2_pos) fire(SYSTEMIC_HER2_POS);
  if (tnbc) fire(SYSTEMIC_TNBC_CHEMOTHERAPY);
  if (tnbc && f(l.pdl1_positive)) fire(SYSTEMIC_TNBC_IMMUNOTHERAPY);
  if (tnbc && !f(l.pdl1_positive)) fire(SYSTEMIC_TNBC_NO_IMMUNOTHERAPY_PDL1_NEGATIVE);
  if (f(l.brca_mutated)) fire(SYSTEMIC_BRCA_PARP);
  // 50_modality.kb
  if (mdt_candidate && f(l.lesions_resectable)) fire(MODALITY_SURGERY);
  if (mdt_candidate && (!f(l.lesions_resectable) || lesion_count >= 2)) fire(MODALITY_SBRT);
  if (mdt_candidate && f(l.ablation_amenable)) fire(MODALITY_ABLATION);
  if (mdt_candidate && liver_mets) fire(MODALITY_SIRT);
  // 60_bone.kb
  if (bone_mets) fire(BONE_MODIFYING_AGENT);
  if (f(l.bma_agent) == l.zoledronate && disease_controlled &&
      f(l.zoledronate_monthly_doses) >= kMinMonthlyZoledronateDoses)
    fire(BONE_ZOLEDRONATE_12_WEEKLY);
  if (f(l.bma_agent) == l.denosumab) fire(BONE_DENOSUMAB_4_WEEKLY);
  if (f(l.significant_bone_lesion)) fire(BONE_ORTHOPAEDIC_EVALUATION);
  if (f(l.bone_pain) && !f(l.bone_complicated)) fire(BONE_RT_SINGLE_FRACTION);
  // 70_primary.kb
  if (asymptomatic_intact_primary && !(primary_surgery_exception && systemic_control_established))
    fire(PRIMARY_AVOID_ASYMPTOMATIC);
  if (asymptomatic_intact_primary && primary_surgery_exception && systemic_control_established && tumour_board_done)
    fire(PRIMARY_CONSIDER_EXCEPTION);
  // 80_cns.kb
  if (cns_oligoprogression) fire(CNS_STEREOTACTIC_RADIOTHERAPY);
  if (cns_oligoprogression && !cns_switch_indicated) fire(CNS_MAINTAIN_SYSTEMIC);
  if (cns_switch_indicated) fire(CNS_HER2_SWITCH);
}

}  // namespace kb::bench
