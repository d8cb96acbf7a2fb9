// export --dequantize (issue #10, core/io/dequant_export.h): for the small checkpoint of
// every layout (tests/support/layout_fixtures.h), the default selection written as F32 and
// BF16 in chunks of a few values and read back: F32 bit for bit the layout's scalar
// reference (LayoutReader::referenceAt), plain tensors their exact widening, BF16 the RNE
// of those bits (NaN -> 0x7FC0); the sign of zero for code 8; same names and shapes.
#include "io/dequant_export.h"
#include "io/layouts/layout.h"
#include "io/local_provider.h"
#include "io/model.h"
#include "io/selection.h"
#include "io_test_util.h"
#include "layout_fixtures.h"

#include "formats/minifloat.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;
using namespace qs::test;
using namespace qs::fixtures;

namespace {

std::shared_ptr<Model> openCase(const LayoutCase& c)
{
    auto p = std::make_shared<MemoryProvider>();
    p->put(QStringLiteral("config.json"), c.config);
    if (!c.hfQuantConfig.empty()) p->put(QStringLiteral("hf_quant_config.json"), c.hfQuantConfig);
    p->files[QStringLiteral("model.safetensors")] = fileBytes(c.tensors);
    auto m = Model::open(p);
    if (!m) qWarning("%s: %s", c.id.c_str(), m.error().message.c_str());
    return m ? *m : nullptr;
}

std::shared_ptr<Model> openFile(const QString& path)
{
    auto lp = LocalProvider::open(path);
    if (!lp) return nullptr;
    auto m = Model::open(*lp);
    return m ? *m : nullptr;
}

// The expected float32 view: referenceAt for layout tensors, the plain widening otherwise.
std::vector<float> expected(const Model& m, const std::string& name)
{
    auto r = m.reader(name);
    if (!r) return {};
    auto* lr = dynamic_cast<const layouts::LayoutReader*>(r->get());
    if (!lr) return (*r)->readAll();
    std::vector<float> out(size_t(lr->numel()));
    for (int64_t i = 0; i < lr->rows(); ++i)
        for (int64_t j = 0; j < lr->cols(); ++j) out[size_t(i * lr->cols() + j)] = lr->referenceAt(i, j);
    return out;
}

} // namespace

class TestDequantExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyLayoutBitForBit()
    {
        QTemporaryDir tmp;
        for (const LayoutCase& c : allLayoutCases()) {
            auto m = openCase(c);
            QVERIFY2(m, c.id.c_str());
            auto names = selectTensors(m->tensorNames(), QStringList{}, QString(), 0, false, &m->layoutTensorNames());
            QVERIFY(names.ok());
            QVERIFY(m->skipNonFloat(*names).ok());
            // the default selection: the logical tensors and the plain float weights
            std::vector<std::string> want = c.logical;
            want.insert(want.end(), c.plain.begin(), c.plain.end());
            std::sort(want.begin(), want.end());
            std::vector<std::string> got = *names;
            std::sort(got.begin(), got.end());
            QCOMPARE(got, want);
            for (DType dt : {DType::F32, DType::BF16}) {
                DequantExportParams params;
                params.out = tmp.filePath(QString::fromStdString(c.id) + (dt == DType::F32 ? "-f32" : "-bf16") +
                                          ".safetensors");
                params.dtype = dt;
                params.chunkElements = 7;  // several chunks per tensor, rows not aligned to them
                auto r = exportDequantized(*m, *names, params);
                QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
                QCOMPARE(r->tensors, names->size());
                QCOMPARE(r->decoded, c.logical.size());
                auto back = openFile(params.out);
                QVERIFY2(back, c.id.c_str());
                QCOMPARE(back->tensors().size(), names->size());
                for (const auto& n : *names) {
                    const TensorInfo* t = back->find(n);
                    QVERIFY2(t, n.c_str());
                    QCOMPARE(t->dtype, dt);
                    QCOMPARE(t->shape, m->find(n)->shape);
                    const std::vector<float> ref = expected(*m, n);
                    const std::vector<float> v = (*back->reader(n))->readAll();
                    QCOMPARE(v.size(), ref.size());
                    for (size_t i = 0; i < v.size(); ++i) {
                        const uint32_t wantBits = dt == DType::F32 ? bitsOf(ref[i])
                                                                   : uint32_t(bf16BitsCanonical(ref[i])) << 16;
                        if (bitsOf(v[i]) != wantBits)
                            QFAIL(qPrintable(QString("%1 %2 [%3]: exported %4 (0x%5), reference 0x%6")
                                                 .arg(QString::fromStdString(c.id), QString::fromStdString(n))
                                                 .arg(i).arg(v[i]).arg(bitsOf(v[i]), 8, 16, QChar('0'))
                                                 .arg(wantBits, 8, 16, QChar('0'))));
                    }
                    // the sign of zero the layout gives code 8
                    if (n == c.zeroTensor) {
                        if (c.negativeZeroAt >= 0) QCOMPARE(bitsOf(v[size_t(c.negativeZeroAt)]), 0x80000000u);
                        if (c.positiveZeroAt >= 0) QCOMPARE(bitsOf(v[size_t(c.positiveZeroAt)]), 0x00000000u);
                    }
                }
            }
        }
    }

    // Hand-checked values: the MXFP4 block 0 (scale 127 = 2^0) and the NaN block (scale 255).
    void mxfp4Values()
    {
        const LayoutCase c = mxfp4Case();
        auto m = openCase(c);
        QVERIFY(m);
        QTemporaryDir tmp;
        DequantExportParams params;
        params.out = tmp.filePath("x.safetensors");
        auto r = exportDequantized(*m, {c.logical[0]}, params);
        QVERIFY(r.ok());
        auto back = openFile(params.out);
        QVERIFY(back);
        const auto v = (*back->reader(c.logical[0]))->readAll();
        QCOMPARE(v.size(), size_t(2 * 3 * 64));
        // byte 1 of block 0: low nibble element 2, high nibble element 3, scale 2^0
        static const float kE2M1[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
        const uint8_t b1 = c.tensors[0].bytes[1];
        QCOMPARE(v[2], kE2M1[b1 & 15]);
        QCOMPARE(v[3], kE2M1[b1 >> 4]);
        // scale index 3 = row 1 (of expert 0), block 1: columns 96..127 of the flat view
        for (int i = 0; i < 32; ++i) QVERIFY(std::isnan(v[size_t(64 + 32 + i)]));
    }

    void errors()
    {
        const LayoutCase c = ctPackCase();
        auto m = openCase(c);
        QVERIFY(m);
        QTemporaryDir tmp;
        DequantExportParams params;
        params.out = tmp.filePath("x.safetensors");
        auto r = exportDequantized(*m, {"nope.weight"}, params);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().message, std::string("No tensor named \"nope.weight\" in /mem/model"));
        QVERIFY(!QFile::exists(params.out));
        params.dtype = DType::F16;
        r = exportDequantized(*m, {"l.weight"}, params);
        QVERIFY(!r.ok());
        QVERIFY(!QFile::exists(params.out));
        // cancelled: nothing written
        CancelFlag cancel;
        cancel.cancel();
        params.dtype = DType::F32;
        r = exportDequantized(*m, {"l.weight"}, params, &cancel);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().message, std::string("cancelled"));
        QVERIFY(!QFile::exists(params.out));
    }
};

QTEST_GUILESS_MAIN(TestDequantExport)
#include "test_dequant_export.moc"
