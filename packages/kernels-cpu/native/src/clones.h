// FP8LM_CLONES: compile a loop-heavy function for x86-64-v4 (AVX-512) and v3 (AVX2) besides the
// baseline, the copy chosen at load time by the CPU (GCC's target_clones, through an ifunc), so that
// the compiler's vectorizer uses the wide registers while the addon still runs on any x86-64. Where
// GCC cannot (other compilers, other targets, GCC before 11, which has no x86-64-v3/v4 levels) it is
// the one plain function.
//
// Bit-exactness does not depend on the copy: the units using it are built with -ffp-contract=off (no
// fused multiply-adds) and without -ffast-math, so each vector lane does the scalar code's IEEE ops.
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define FP8LM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FP8LM_CLONES
#endif
