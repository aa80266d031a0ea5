{
  "targets": [
    {
      "target_name": "blindspot_native",
      "sources": ["src/addon.c", "src/seal.c", "src/match.c"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS=='linux'", {"ldflags": ["-Wl,-z,now"]}]]
    }
  ]
}
