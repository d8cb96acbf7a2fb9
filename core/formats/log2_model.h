#pragma once
// Model of NumPy's float32 np.log2 as the reference tool used it (bfp*_ideal, the
// mxfp4/nvfp4 proxies): the correctly rounded binary32 value of log2(x). Near powers of
// two this differs from the exact floor/ceil of log2 (e.g. x = 2^k(1+2^-23) has
// fl32(log2 x) = k for |k| >= 4), which the reference's results depend on.
// Internal to core/formats (also used by tests). Never fails: x <= 0 -> -inf (0) / NaN.
#include <climits>

namespace qs::log2model {

// fl32(log2(x)) computed through double: x == 0 -> -inf, x < 0 -> NaN, +inf -> +inf.
float log2f(float x);

// ceil(log2f(x)) and floor(log2f(x)) for finite x > 0, table-driven (exact same results
// as the double computation; the tests check this on every binade boundary).
int ceilLog2(float x);
int floorLog2(float x);

} // namespace qs::log2model
