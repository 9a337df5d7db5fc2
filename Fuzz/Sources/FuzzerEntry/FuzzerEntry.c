// The entry point of HTTPDecoderFuzzer.
//
// SwiftPM links an ELF executable with `--defsym main=<Target>_main`, but
// `-parse-as-library` (needed so libFuzzer, not Swift, owns `main`) means
// Swift never emits `HTTPDecoderFuzzer_main`. Defining it here and handing
// control to libFuzzer's driver satisfies the alias and keeps every libFuzzer
// command-line flag working.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int HTTPDecoderFuzzer_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
