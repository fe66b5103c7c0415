# The sock_diag addon (Linux only; scripts/build-native.mjs skips the build elsewhere).
# NAPI_VERSION 6 is the first with per-environment instance data (one netlink socket per environment).
{
  "targets": [
    {
      "target_name": "sockdiag",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["sockdiag.c"],
          "defines": ["NAPI_VERSION=6"],
          "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
        }]
      ]
    }
  ]
}
