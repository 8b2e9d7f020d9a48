// Must compile: the evaluator (kb_eval) builds on the model and the language.
// The control for eval_includes_store.cpp.
#include "kb/eval/recommender.h"
#include "kb/lang/printer.h"
#include "kb/model/guideline.h"

int layering_allowed() { return 0; }
