#ifndef BLINDSPOT_KERNELS_H
#define BLINDSPOT_KERNELS_H
#include <node_api.h>

/* Each kernel file adds its functions to the module's exports. */
void seal_register(napi_env env, napi_value exports);
void match_register(napi_env env, napi_value exports);

/* Throw a JavaScript TypeError, RangeError or Error with `message`; return NULL for the caller to return. */
static inline napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static inline napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static inline napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

#endif
