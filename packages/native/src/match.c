/* Batched bank matching: to be written. */
#include "kernels.h"

void match_register(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
}
