// `kb recommend`: apply the rules to one patient (JSON) or to a cohort
// (JSON Lines, --batch). Kept apart from tools/kb_cli.cpp's other commands.
#pragma once

#include <iosfwd>
#include <string>

#include "kb/eval/recommender.h"

namespace kb::cli {

/** Options of `kb recommend`. */
struct RecommendArgs {
  std::string patient;          ///< file, or "-" for standard input
  std::string format = "text";  ///< text or json (one patient); batch output is always JSON Lines
  bool batch = false;           ///< input is JSON Lines, one patient per line
};

/** Evaluates the patient(s) in `args.patient` with `r`.
    @return 0 when every patient was read and none has a conflict; 1 when
            some patient has a conflict; 2 when a patient (or line) was bad
            input, reported on `err` with the file, line and fact */
int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err);

}  // namespace kb::cli
