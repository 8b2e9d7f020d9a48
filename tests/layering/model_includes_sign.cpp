// Must NOT build: the checked-guideline model sits below the signing library
// (only the store and the dossier sign or verify), so kb_model does not see
// kb/sign's headers. tests/CMakeLists.txt expects this build to fail.
#include "kb/sign/sign.h"

int model_includes_sign() { return 0; }
