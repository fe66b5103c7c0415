# The AEAD context addon. OpenSSL's headers and symbols are Node's own (node-gyp puts Node's include dir,
# with openssl/, on the path; the node binary exports EVP_*), so no libssl is linked.
# -z now: every symbol is resolved at load, so a runtime without OpenSSL's EVP API (Electron, BoringSSL)
# fails the require() cleanly and the caller falls back to node:crypto, rather than aborting mid-stream.
# NAPI_VERSION 8 is the first with napi_default_method.
{
  "targets": [
    {
      "target_name": "aead",
      "sources": ["aead.c"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='linux'", {
          "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
          "ldflags": ["-Wl,-z,now"]
        }]
      ]
    }
  ]
}
