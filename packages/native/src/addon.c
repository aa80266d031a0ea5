/* Registers the kernels of seal.c and match.c as one Node-API module. */
#include <node_api.h>
#include "kernels.h"

static napi_value init(napi_env env, napi_value exports) {
  seal_register(env, exports);
  match_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
