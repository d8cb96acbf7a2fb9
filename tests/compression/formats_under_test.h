#pragma once
// The tile formats the compression tests run with: the registry's rows (formats/format.h).
#include "formats/format.h"

#include <string>
#include <vector>

namespace qstest {

// The registry row for name; aborts the test binary when the registry lacks it.
const qs::Format* fmt(const std::string& name);
// fmt() of every name.
std::vector<const qs::Format*> fmts(const std::vector<std::string>& names);

} // namespace qstest
