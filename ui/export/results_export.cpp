#include "export/results_export.h"

#include <cstdio>

namespace qs {

namespace {

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

std::string g17(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

} // namespace

std::string resultsCsv(const WqReport& report)
{
    std::string out = "tensor,shape,dtype,compression,format,pcc,mae,atol,rmse,sqnr_db,bits_per_element,payload_bytes,device_bytes,count,"
                      "nonfinite_x,nonfinite_y,rel_rmse";
    // Importance-weighted metrics (issue #18) only for a run given an importance file; a
    // tensor without weights leaves them empty (the table's "-").
    const bool weighted = report.importance.has_value();
    if (weighted) out += ",wsqnr_db,wrel";
    out += "\n";
    for (const WqTensor& t : report.tensors)
        for (const WqRow& r : t.rows) {
            const Metrics& m = r.metrics;
            out += csvField(t.info.name) + "," + csvField(t.info.shapeString()) + "," + csvField(t.info.dtypeName) + "," +
                   csvField(r.compression) + "," + csvField(r.label) + "," + g17(m.pcc) + "," + g17(m.mae) + "," +
                   g17(m.atol) + "," + g17(m.rmse) + "," + g17(m.sqnrDb) + "," + g17(r.bitsPerElement) + "," +
                   g17(r.bytes) + "," + g17(r.deviceBytes) + "," + std::to_string(m.count) + "," + std::to_string(m.nonFiniteX) + "," +
                   std::to_string(m.nonFiniteY) + "," + g17(m.relRmse);
            if (weighted) out += t.importanceNote.empty() ? "," + g17(m.wsqnrDb) + "," + g17(m.wrel) : std::string(",,");
            out += "\n";
        }
    return out;
}

} // namespace qs
