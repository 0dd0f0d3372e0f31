# libFuzzer targets, built with clang when configured --enable-fuzzers.
