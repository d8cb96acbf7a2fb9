#pragma once
// When work is worth a parallel region (issue #9 §1). A region costs a wake-up of every
// worker and a barrier at its end; on a busy machine that barrier waits for a worker
// the scheduler has not run yet, a whole time slice. Small work therefore runs on the
// calling thread, and work inside an already parallel region (tensors analysed side by
// side) never opens another. One rule for every region in the core; results never
// depend on it (chunking is fixed, sums merge in a fixed order).
// Workers never spin while they wait: the executable sets OMP_WAIT_POLICY=passive
// before the OpenMP runtime starts (app/main.cpp), unless the user set it.
#include <cstdint>

#include <omp.h>

namespace qs {

// About 2 ms of work for one format at the formats' speeds: below this the region's
// fixed cost and the barrier outweigh a second core.
inline constexpr int64_t kParallelMinElements = int64_t(1) << 17;

inline bool worthParallel(int64_t chunks, int64_t elements)
{
    return chunks > 1 && elements >= kParallelMinElements && !omp_in_parallel();
}

} // namespace qs
