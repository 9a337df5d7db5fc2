#ifndef SLUICE_CZLIB_SHIM_H
#define SLUICE_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 and deflateInit2 are macros (they pass zlib's version and
// the size of z_stream), which Swift cannot import; these wrappers can be.
// windowBits 15 + 16 selects the gzip wrapper (RFC 1952) in both directions.
static inline int sluice_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}

static inline int sluice_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
