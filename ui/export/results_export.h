#pragma once
// The results table as CSV: one line per (tensor, compression, format) row with full
// precision numbers ("%.17g"), a header line, RFC 4180 quoting. The table.txt and JSON
// exports use the wq renderers (renderTableTxt / renderJson) so they equal the CLI's.
#include "analysis/wq_run.h"

#include <string>

namespace qs {

std::string resultsCsv(const WqReport& report);

} // namespace qs
