// `kb recommend`: apply the rules to one patient (JSON) or to a cohort
// (JSON Lines, --batch). Kept apart from tools/kb_cli.cpp's other commands.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "kb/eval/recommender.h"

namespace kb::cli {

/** Longest input read as one patient, in bytes: a --patient file, or one
    line of a --batch file (docs/recommender.md). A longer file is rejected;
    a longer batch line ends the batch (exit 2). */
inline constexpr std::size_t kMaxPatientBytes = std::size_t{1} << 20;

/** The "schema" member of a one-patient JSON answer (schemas/kb-recommendation.schema.json);
    the number goes up when a change could break a reader. */
inline constexpr const char* kRecommendationSchema = "kb-recommendation/1";

/** The "schema" member of each --batch output line (schemas/kb-recommendation-line.schema.json). */
inline constexpr const char* kRecommendationLineSchema = "kb-recommendation-line/1";

/** Options of `kb recommend`. */
struct RecommendArgs {
  std::string patient;          ///< file, or "-" for standard input
  std::string format = "text";  ///< text or json (one patient); batch output is always JSON Lines
  bool batch = false;           ///< input is JSON Lines, one patient per line
};

/** Evaluates the patient(s) in `args.patient` with `r`. Batch mode writes
    one whole JSON line per non-blank input line (a result or an error
    object) and carries on after a bad line; a read failure or an over-long
    line ends it. Every output line is built first and written in one call.
    @return 0 when every patient was read and none has a conflict; 1 when
            some patient has a conflict; 2 when a patient (or line) was bad
            input or the input could not be read, reported on `err` with the
            file, line and fact */
int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err);

}  // namespace kb::cli
