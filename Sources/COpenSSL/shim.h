#ifndef SLUICE_COPENSSL_SHIM_H
#define SLUICE_COPENSSL_SHIM_H

// The parts of libcrypto that SluiceAWS uses: EVP digests (SHA-256) and the
// one-shot HMAC(), which OpenSSL 3 keeps (only the HMAC_CTX API is deprecated).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#endif
