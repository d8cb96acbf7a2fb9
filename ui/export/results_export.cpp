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
                      "nonfinite_x,nonfinite_y\n";
    for (const WqTensor& t : report.tensors)
        for (const WqRow& r : t.rows) {
            const Metrics& m = r.metrics;
            out += csvField(t.info.name) + "," + csvField(t.info.shapeString()) + "," + csvField(t.info.dtypeName) + "," +
                   csvField(r.compression) + "," + csvField(r.label) + "," + g17(m.pcc) + "," + g17(m.mae) + "," +
                   g17(m.atol) + "," + g17(m.rmse) + "," + g17(m.sqnrDb) + "," + g17(r.bitsPerElement) + "," +
                   g17(r.bytes) + "," + g17(r.deviceBytes) + "," + std::to_string(m.count) + "," + std::to_string(m.nonFiniteX) + "," +
                   std::to_string(m.nonFiniteY) + "\n";
        }
    return out;
}

} // namespace qs
