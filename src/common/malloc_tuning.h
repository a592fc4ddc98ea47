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
#pragma once

namespace sl {

bool TuneMallocForTensorWork();

}  // namespace sl
