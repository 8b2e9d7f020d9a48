// Must NOT compile: the evaluator (kb_eval) may not see the store. The
// layering test builds this file against kb_eval's include folders and
// expects the compiler to reject kb/store/store.h.
#include "kb/eval/recommender.h"
#include "kb/store/store.h"

int layering_forbidden() { return 0; }
