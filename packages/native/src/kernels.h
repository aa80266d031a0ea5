#ifndef BLINDSPOT_KERNELS_H
#define BLINDSPOT_KERNELS_H
#include <node_api.h>

/* Each kernel file adds its functions to the module's exports. */
void seal_register(napi_env env, napi_value exports);
void match_register(napi_env env, napi_value exports);

#endif
