// glibc malloc settings for processes that run tensor work (training, evaluation, inference).
//
// Why: libtorch allocates activations of a few MB per forward pass and frees them right after.
// glibc serves blocks above its mmap threshold (128 KiB at start, raised only by what it sees
// freed) with fresh mmap()s and trims freed heap tops back to the OS, so every batch page-faults
// its activations in again. Measured here (Debian's libtorch 1.13, 2-vCPU AMD EPYC VM): the cnn at
// batch 32 ran 2,800 images/s per core with the defaults once a batch-1 pass had run, 9,800 with
// these settings; page faults were a third of a serving process's samples (docs/benchmarks.md,
// "Serving: local tier vs Flask + PyTorch").
//
// TuneMallocForTensorWork() fixes the mmap threshold at 32 MiB (glibc's maximum on 64-bit) and
// the trim threshold at 256 MiB, so memory freed by one batch is reused by the next. The cost is
// that up to 256 MiB of freed heap stays mapped. Call it once at the start of main(), before any
// thread starts; returns false if glibc refused a setting (the process runs with the defaults).
//
// Transparent huge pages (GlibcTunablesWithHugePages): this VM's page faults are expensive — first
// touching a fresh 188 MB buffer (the Fashion-MNIST train pool as floats) costs 0.5–0.7 s in 4 KiB
// faults, 25–60 ms with 2 MiB pages (bench/page_fault_probe). glibc asks the kernel for huge pages on malloc's own mappings
// (madvise(MADV_HUGEPAGE): works with THP set to "madvise", Debian's default) when started with
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1. A tunable is read once at process start, so it cannot be
// set from inside; processes that spawn tensor workers (the function platform's template) pass it
// in the child's environment.
#pragma once

#include <string>
#include <string_view>

namespace sl {

bool TuneMallocForTensorWork();

// `existing` (a GLIBC_TUNABLES value, colon-separated name=value pairs; may be empty) with
// glibc.malloc.hugetlb=1 added, unless it already sets glibc.malloc.hugetlb (the user's choice wins).
std::string GlibcTunablesWithHugePages(std::string_view existing);

// GlibcTunablesWithHugePages of this process's GLIBC_TUNABLES: the value to give a child that runs
// tensor work.
std::string GlibcTunablesForTensorWorkers();

}  // namespace sl
