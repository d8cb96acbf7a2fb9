// Reading only some rows of a tensor (--sample, Model::rowsReader): the bytes read are
// exactly those rows (adjacent ones in one read) plus the FP8 scale rows they need, and
// the decoded values are bit for bit those of the full reader on the same rows, for a
// plain BF16 tensor, an FP8 block tensor with a ragged edge and leading dimensions, and a
// quantized layout (decoded by rows from its whole parts).
#include "io_test_util.h"

#include "io/model.h"

#include <QtTest>

#include <cstring>

using namespace qs;
using namespace qs::test;

namespace {

std::vector<float> rowsOf(const TensorReader& r, const std::vector<RowRange>& rows)
{
    std::vector<float> out;
    for (const RowRange& rr : rows) {
        std::vector<float> buf(size_t((rr.r1 - rr.r0) * r.cols()));
        r.readRows(rr.r0, rr.r1, buf.data());
        out.insert(out.end(), buf.begin(), buf.end());
    }
    return out;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Positive FP8 scales with distinct values per block.
std::vector<float> scales(size_t n)
{
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = 0.001f * float(i + 1) + 0.0005f;
    return v;
}

std::shared_ptr<MemoryProvider> model()
{
    auto p = std::make_shared<MemoryProvider>();
    // bf16 [300, 40]; fp8 [2, 300, 200] with 128x128 blocks: per matrix a 3 x 2 scale grid
    // (rows 256..299 and columns 128..199 are ragged edge blocks).
    std::vector<float> codes(size_t(2 * 300 * 200));
    for (size_t i = 0; i < codes.size(); ++i) codes[i] = float(int(i * 7919 % 401) - 200) * 0.5f;
    p->files["model.safetensors"] = safetensorsBytes({
        {"a.weight", DType::BF16, {300, 40}, floatsAs(DType::BF16, ramp(300 * 40))},
        {"b.weight", DType::F8_E4M3, {2, 300, 200}, floatsAs(DType::F8_E4M3, codes)},
        {"b.weight_scale_inv", DType::F32, {2, 3, 2}, floatsAs(DType::F32, scales(12))},
    });
    p->put("config.json", R"({"quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}})");
    return p;
}

} // namespace

class TestRowsReader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void plainRowsReadOnlyThoseBytes()
    {
        auto p = model();
        auto m = Model::open(p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        const TensorInfo* t = (*m)->find("a.weight");
        QVERIFY(t);
        // bands 1, 2 (adjacent: one read) and 9 (the last, 12 rows)
        const std::vector<RowRange> rows = {{32, 64}, {64, 96}, {288, 300}};
        const std::vector<ByteRange> ranges = (*m)->rowsByteRanges("a.weight", rows);
        QCOMPARE(ranges.size(), size_t(2));
        QCOMPARE(ranges[0].offset, t->dataOffset + 32 * 40 * 2);
        QCOMPARE(ranges[0].length, uint64_t(64 * 40 * 2));
        QCOMPARE(ranges[1].offset, t->dataOffset + 288 * 40 * 2);
        QCOMPARE(ranges[1].length, uint64_t(12 * 40 * 2));
        p->readLog.clear();
        p->prefetches.clear();
        auto r = (*m)->rowsReader("a.weight", rows);
        QVERIFY(r.ok());
        QCOMPARE((*r)->rows(), int64_t(76));
        QCOMPARE((*r)->cols(), int64_t(40));
        QCOMPARE(p->readLog.size(), size_t(2));  // those two ranges, nothing else
        for (size_t i = 0; i < 2; ++i) {
            QCOMPARE(p->readLog[i].offset, ranges[i].offset);
            QCOMPARE(p->readLog[i].length, ranges[i].length);
        }
        QCOMPARE(p->prefetches.size(), size_t(1));
        QCOMPARE(p->prefetches[0].size(), size_t(2));
        auto full = (*m)->reader("a.weight");
        QVERIFY(full.ok());
        QVERIFY(sameBits((*r)->readAll(), rowsOf(**full, rows)));
        // a column block of the row view as well
        std::vector<float> block(size_t(40 * 16)), want(size_t(40 * 16));
        (*r)->readBlock(50, 64, 8, 24, block.data());
        (*full)->readBlock(82, 96, 8, 24, want.data());  // compact rows 50..63 = rows 82..95
        QVERIFY(std::memcmp(block.data(), want.data(), 14 * 16 * sizeof(float)) == 0);
    }

    void fp8BlockRowsDecodeAsTheFullRead()
    {
        auto p = model();
        auto m = Model::open(p);
        QVERIFY(m.ok());
        const TensorInfo* t = (*m)->find("b.weight");
        const TensorInfo* s = (*m)->find("b.weight_scale_inv");
        QVERIFY(t && s);
        // view rows 0..599 (2 matrices of 300): band 4 (rows 128..159, scale row 1 of
        // matrix 0), band 9 (rows 288..319: scale row 2 of matrix 0 and row 0 of matrix 1)
        // and band 18 (rows 576..599, scale row 2 of matrix 1)
        const std::vector<RowRange> rows = {{128, 160}, {288, 320}, {576, 600}};
        const std::vector<ByteRange> ranges = (*m)->rowsByteRanges("b.weight", rows);
        // three code ranges, then scale rows {1, 2, 3} (one run) and {5}
        QCOMPARE(ranges.size(), size_t(5));
        QCOMPARE(ranges[0].offset, t->dataOffset + 128 * 200);
        QCOMPARE(ranges[2].length, uint64_t(24 * 200));
        QCOMPARE(ranges[3].offset, s->dataOffset + 1 * 2 * 4);
        QCOMPARE(ranges[3].length, uint64_t(3 * 2 * 4));
        QCOMPARE(ranges[4].offset, s->dataOffset + 5 * 2 * 4);
        QCOMPARE(ranges[4].length, uint64_t(2 * 4));
        p->readLog.clear();
        auto r = (*m)->rowsReader("b.weight", rows);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(p->readLog.size(), size_t(5));
        uint64_t bytes = 0;
        for (const ByteRange& b : p->readLog) bytes += b.length;
        QCOMPARE(bytes, uint64_t((32 + 32 + 24) * 200 + 4 * 2 * 4));
        auto full = (*m)->reader("b.weight");
        QVERIFY(full.ok());
        const std::vector<float> got = (*r)->readAll(), want = rowsOf(**full, rows);
        QVERIFY(sameBits(got, want));
        // not trivially equal: scales differ between the blocks read
        QVERIFY(got[0] != 0.0f || got[1] != 0.0f);
    }

    void wholeTensorAndBadRows()
    {
        auto p = model();
        auto m = Model::open(p);
        QVERIFY(m.ok());
        // every row: the ordinary reader
        auto r = (*m)->rowsReader("a.weight", {{0, 160}, {160, 300}});
        QVERIFY(r.ok());
        QCOMPARE((*r)->rows(), int64_t(300));
        auto bad = (*m)->rowsReader("a.weight", {{290, 310}});
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.find("a.weight") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestRowsReader)
#include "test_rows_reader.moc"
