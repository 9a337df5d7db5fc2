#ifndef SLUICE_CLIBPQ_SHIM_H
#define SLUICE_CLIBPQ_SHIM_H

// Only the public client API; SluicePostgres never touches libpq internals.
#include <libpq-fe.h>

#endif
