#include "formats_under_test.h"

#include <cstdio>
#include <cstdlib>

namespace qstest {

const qs::Format* fmt(const std::string& name)
{
    const qs::Format* f = qs::findFormat(name);
    if (!f) {
        std::fprintf(stderr, "format %s missing from the registry\n", name.c_str());
        std::abort();
    }
    return f;
}

std::vector<const qs::Format*> fmts(const std::vector<std::string>& names)
{
    std::vector<const qs::Format*> out;
    for (const auto& n : names) out.push_back(fmt(n));
    return out;
}

} // namespace qstest
